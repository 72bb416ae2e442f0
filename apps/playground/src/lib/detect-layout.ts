/**
 * Guesses the three folders the loader needs from a set of picked files: the base model (a transformers folder or
 * a .gguf file), the X-LoRA checkpoint folder and the folder the checkpoint's expert paths are relative to. The guesses fill editable
 * fields; when a folder is missing or broken the loader, not this guess, says what is wrong.
 */

export interface ModelLayout {
  /** a transformers folder, or a .gguf file's path */
  baseDir: string;
  xloraDir: string;
  adapterRoot: string;
  /** what was found, for people */
  notes: string[];
}

/** Reads a small text file (config JSON) by path; undefined when there is none. */
export type ReadText = (path: string) => Promise<string | undefined>;

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const join = (a: string, b: string) => (a ? `${a}/${b}` : b);
const depth = (p: string) => (p ? p.split('/').length : 0);

function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/** The longest folder prefix shared by every path. */
export function commonFolder(paths: readonly string[]): string {
  if (paths.length === 0) return '';
  let common = dirOf(paths[0]).split('/').filter(Boolean);
  for (const p of paths) {
    const parts = dirOf(p).split('/').filter(Boolean);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join('/');
}

const shallowest = (dirs: string[]) => [...dirs].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b))[0];

export async function detectLayout(paths: readonly string[], readText: ReadText): Promise<ModelLayout> {
  const files = new Set(paths.map(normalize));
  const dirs = [...new Set([...files].map(dirOf))];
  const has = (dir: string, name: string) => files.has(join(dir, name));
  const root = commonFolder([...files]);
  const notes: string[] = [];

  // X-LoRA checkpoint: xlora_config.json, or adapter_config.json with peft_type XLORA
  const xloraDirs: string[] = [];
  const loraDirs = new Set<string>();
  for (const d of dirs) {
    if (has(d, 'xlora_config.json')) xloraDirs.push(d);
    else if (has(d, 'adapter_config.json')) {
      const text = (await readText(join(d, 'adapter_config.json'))) ?? '';
      if (/"peft_type"\s*:\s*"XLORA"/i.test(text) || /"xlora_depth"/.test(text)) xloraDirs.push(d);
      else loraDirs.add(d);
    }
  }
  const xloraDir = xloraDirs.length ? shallowest(xloraDirs) : root;
  if (xloraDirs.length === 0) notes.push('no X-LoRA checkpoint found (adapter_config.json with "peft_type": "XLORA", or xlora_config.json)');
  else if (xloraDirs.length > 1) notes.push(`several X-LoRA checkpoints found (${xloraDirs.join(', ')}); using ${xloraDir}`);

  // base model: a GGUF file, else a transformers folder (config.json + weights); never an adapter folder
  const isAdapter = (d: string) => xloraDirs.includes(d) || loraDirs.has(d);
  const baseDir = findGgufBase([...files], dirs, has, isAdapter, notes) ?? findTransformersBase(dirs, has, isAdapter, root, notes);

  // expert paths: PEFT resolves them against the working directory; try the picked root, then the checkpoint
  // folder and its parents (where save_pretrained usually puts them)
  const adapters = await adapterPaths(xloraDir, readText);
  const holdsAll = (r: string) => adapters.length > 0 && adapters.every((p) => files.has(join(normalize(join(r, p)), 'adapter_config.json')));
  const candidates = [root];
  for (let d = xloraDir; ; d = dirOf(d)) {
    candidates.push(d);
    if (d === '') break;
  }
  const adapterRoot = candidates.find(holdsAll) ?? root;
  if (adapters.length && !holdsAll(adapterRoot)) notes.push(`experts not found below ${adapterRoot || 'the picked folder'}: ${adapters.join(', ')}`);
  return { baseDir, xloraDir, adapterRoot, notes };
}

const isGguf = (p: string) => /\.gguf$/i.test(p);
type Has = (dir: string, name: string) => boolean;
const hasWeights = (d: string, has: Has) => has(d, 'model.safetensors') || has(d, 'model.safetensors.index.json');

/**
 * A .gguf file outside the adapter folders is a base model (the loader reads its config and tokenizer from the
 * file's metadata, or a tokenizer.json beside it); with several, the shallowest, then alphabetical. It wins over a
 * transformers folder in the same pick (a note names the folder, for the field to be edited back).
 */
function findGgufBase(files: readonly string[], dirs: readonly string[], has: Has, isAdapter: (dir: string) => boolean, notes: string[]): string | null {
  const ggufs = files.filter((f) => isGguf(f) && !isAdapter(dirOf(f))).sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  if (ggufs.length === 0) return null;
  if (ggufs.length > 1) notes.push(`several GGUF files found (${ggufs.join(', ')}); using ${ggufs[0]}`);
  const folders = dirs.filter((d) => !isAdapter(d) && has(d, 'config.json') && hasWeights(d, has));
  if (folders.length) notes.push(`also found a transformers base model in ${folders.map((d) => d || '.').join(', ')}; using the GGUF file`);
  return ggufs[0];
}

/** The folder with config.json and model.safetensors (or its index); else one with either, with a note. */
function findTransformersBase(dirs: readonly string[], has: Has, isAdapter: (dir: string) => boolean, root: string, notes: string[]): string {
  const full = dirs.filter((d) => !isAdapter(d) && has(d, 'config.json') && hasWeights(d, has));
  const partial = dirs.filter((d) => !isAdapter(d) && (has(d, 'config.json') || hasWeights(d, has)));
  const baseDir = full.length ? shallowest(full) : partial.length ? shallowest(partial) : root;
  if (full.length === 0) {
    notes.push(partial.length ? `base model folder ${baseDir || '.'} looks incomplete` : 'no base model found (a .gguf file, or a folder with config.json + model.safetensors)');
  }
  return baseDir;
}

async function adapterPaths(xloraDir: string, readText: ReadText): Promise<string[]> {
  for (const name of ['adapter_config.json', 'xlora_config.json']) {
    const text = await readText(join(xloraDir, name));
    if (!text) continue;
    try {
      const cfg = JSON.parse(text) as { adapters?: unknown };
      if (cfg.adapters && typeof cfg.adapters === 'object') {
        return Object.values(cfg.adapters as Record<string, unknown>).filter((p): p is string => typeof p === 'string');
      }
    } catch {
      // the loader reports the JSON error with file and position
    }
  }
  return [];
}

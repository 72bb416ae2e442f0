/** Files the user picked or dropped, keyed by their path inside the chosen folder(s), e.g. "xlora-demo/base/config.json". */
export type PickedFiles = Map<string, File>;

/** Paths of files from an `<input type=file webkitdirectory>` (webkitRelativePath) or a plain multi-file input (name). */
export function filesFromInput(list: FileList | readonly File[]): PickedFiles {
  const out: PickedFiles = new Map();
  for (const f of Array.from(list)) out.set(f.webkitRelativePath || f.name, f);
  return out;
}

/** Reads a drop: folders are walked recursively (webkitGetAsEntry), loose files keep their names. */
export async function filesFromDrop(data: DataTransfer): Promise<PickedFiles> {
  const out: PickedFiles = new Map();
  const entries = Array.from(data.items)
    .filter((it) => it.kind === 'file')
    .map((it) => it.webkitGetAsEntry?.() ?? null);
  if (entries.every((e) => e === null)) return filesFromInput(data.files);
  await Promise.all(entries.map((e) => (e ? walk(e, out) : Promise.resolve())));
  return out;
}

async function walk(entry: FileSystemEntry, out: PickedFiles): Promise<void> {
  const path = entry.fullPath.replace(/^\/+/, '');
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.set(path, file);
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns the children in batches until an empty one
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    await Promise.all(batch.map((child) => walk(child, out)));
  }
}

/** Adds `more` to `into` (later picks replace files with the same path). */
export function mergeFiles(into: PickedFiles, more: PickedFiles): PickedFiles {
  return new Map([...into, ...more]);
}

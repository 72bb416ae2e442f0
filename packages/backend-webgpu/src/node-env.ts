/**
 * Node only: makes Dawn (the `webgpu` package) find a Vulkan driver without the user exporting anything.
 * No static `node:` imports, so bundling this file for a browser is harmless (it does nothing there).
 */

/** Where Debian's chromium package puts SwiftShader's Vulkan ICD (.ci/setup-webgpu.sh installs it). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** Where .ci/setup-webgpu.sh --lavapipe puts Mesa 25's lavapipe ICD. */
export const LAVAPIPE_ICD = '/opt/xlora-lavapipe/lvp_icd.json';

export interface NodeEnvReport {
  /** what VK_ICD_FILENAMES is now (undefined: unset, Vulkan's default search) */
  icd: string | undefined;
  /** how it was chosen */
  source: 'environment' | 'XLORA_WEBGPU_ICD' | 'swiftshader-default' | 'none' | 'not-node';
}

type Proc = { env: Record<string, string | undefined>; versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown; getuid?: () => number };
type Fs = { existsSync(p: string): boolean; mkdirSync(p: string, o: { recursive: boolean; mode: number }): void; chmodSync(p: string, m: number): void };

function nodeProcess(): Proc | undefined {
  const p = (globalThis as { process?: Proc }).process;
  return p?.versions?.node ? p : undefined;
}

async function nodeModule<T>(id: string): Promise<T> {
  const proc = nodeProcess()!;
  if (proc.getBuiltinModule) return proc.getBuiltinModule(id) as T;
  return (await import(/* @vite-ignore */ id)) as T;
}

let report: NodeEnvReport | undefined;

/**
 * When VK_ICD_FILENAMES is unset: uses XLORA_WEBGPU_ICD ("swiftshader", "lavapipe" or a path to an ICD json),
 * else SwiftShader's ICD when it exists. Also gives XDG_RUNTIME_DIR a private 0700 folder when unset (silences
 * the Vulkan loader). Must run before the first `create()` of the webgpu package; idempotent.
 */
export async function ensureNodeWebGpuEnv(): Promise<NodeEnvReport> {
  if (report) return report;
  const proc = nodeProcess();
  if (!proc) return (report = { icd: undefined, source: 'not-node' });
  const fs = await nodeModule<Fs>('node:fs');
  const env = proc.env;
  if (!env.XDG_RUNTIME_DIR) {
    const dir = `/tmp/xlora-xdg-runtime-${proc.getuid?.() ?? 0}`;
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.chmodSync(dir, 0o700);
      env.XDG_RUNTIME_DIR = dir;
    } catch {
      // not fatal: only the loader's warnings depend on it
    }
  }
  if (env.VK_ICD_FILENAMES) return (report = { icd: env.VK_ICD_FILENAMES, source: 'environment' });
  const pick = env.XLORA_WEBGPU_ICD;
  if (pick) {
    const path = pick === 'swiftshader' ? SWIFTSHADER_ICD : pick === 'lavapipe' ? LAVAPIPE_ICD : pick;
    env.VK_ICD_FILENAMES = path;
    return (report = { icd: path, source: 'XLORA_WEBGPU_ICD' });
  }
  if (fs.existsSync(SWIFTSHADER_ICD)) {
    env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    return (report = { icd: SWIFTSHADER_ICD, source: 'swiftshader-default' });
  }
  return (report = { icd: undefined, source: 'none' });
}

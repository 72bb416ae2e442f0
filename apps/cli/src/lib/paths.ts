import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

/** The directory the user ran the command from (pnpm runs scripts from the repo root but keeps it in INIT_CWD). */
export function userCwd(): string {
  return process.env.INIT_CWD || process.cwd();
}

export function fromUser(path: string): string {
  return isAbsolute(path) ? path : resolve(userCwd(), path);
}

/**
 * The folder the checkpoint's relative expert paths resolve against. PEFT uses the working directory; when the
 * experts are not there, checkpoints are usually saved next to them, so the checkpoint folder and its parents
 * are tried too. Returns the first folder holding every expert, else the working directory (the loader then
 * reports which expert is missing where).
 */
export function adapterRootFor(xloraDir: string): string {
  const cwd = userCwd();
  const adapters = readAdapterPaths(xloraDir);
  if (!adapters) return cwd;
  const holdsAll = (root: string) => adapters.every((p) => isAbsolute(p) ? existsSync(p) : existsSync(resolve(root, p)));
  if (holdsAll(cwd)) return cwd;
  for (let dir = xloraDir; ; dir = dirname(dir)) {
    if (holdsAll(dir)) return dir;
    if (dirname(dir) === dir) return cwd;
  }
}

function readAdapterPaths(xloraDir: string): string[] | null {
  for (const file of ['adapter_config.json', 'xlora_config.json']) {
    try {
      const cfg = JSON.parse(readFileSync(resolve(xloraDir, file), 'utf8')) as { adapters?: Record<string, string> };
      if (cfg.adapters && typeof cfg.adapters === 'object') return Object.values(cfg.adapters).filter((p) => typeof p === 'string');
    } catch {
      // the loader reports unreadable configs with the exact reason
    }
  }
  return null;
}

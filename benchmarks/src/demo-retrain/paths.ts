import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root (this file is benchmarks/src/demo-retrain/paths.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The bundled demo model, inside the repo. */
export const DEMO_MODEL_DIR = resolve(REPO_ROOT, 'models/xlora-demo');

/** The demo's corpus (train/eval splits per domain), copied into the repo from the project's shared datasets. */
export const DEFAULT_CORPUS_DIR = resolve(REPO_ROOT, 'datasets/xlora-demo-corpus');

/** The directory the user ran the command from (pnpm runs scripts in the package folder and keeps it in INIT_CWD). */
export function userCwd(): string {
  return process.env.INIT_CWD || process.cwd();
}

/** A path the user typed, resolved against the directory they typed it in. */
export function fromUser(path: string): string {
  return isAbsolute(path) ? path : resolve(userCwd(), path);
}

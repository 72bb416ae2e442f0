import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The .gguf file a base path names: itself, or the one .gguf of a folder without config.json (as the loader decides). */
export function findGgufBaseFile(path: string): string | undefined {
  if (/\.gguf$/i.test(path)) return path;
  if (!statSync(path).isDirectory() || existsSync(join(path, 'config.json'))) return undefined;
  const ggufs = readdirSync(path).filter((n) => /\.gguf$/i.test(n));
  return ggufs.length === 1 ? join(path, ggufs[0]) : undefined;
}

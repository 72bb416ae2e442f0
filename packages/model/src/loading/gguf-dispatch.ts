import { InputError } from '@xlora/core';
import type { FileSource } from './file-source.js';
import { joinPath } from './posix-path.js';

/**
 * Where a base model given as `dir` is a GGUF file: `dir` itself when it ends in ".gguf"; the one .gguf file of
 * a folder without config.json (where the source can list folders); else null (a transformers folder).
 */
export async function findGgufBase(src: FileSource, dir: string): Promise<string | null> {
  if (/\.gguf$/i.test(dir)) return dir;
  if (!src.list || (await src.exists(joinPath(dir, 'config.json'))) || !(await src.exists(dir))) return null;
  let names: string[];
  try {
    names = await src.list(dir);
  } catch {
    return null; // not a folder: the config.json error that follows names the path
  }
  const ggufs = names.filter((n) => /\.gguf$/i.test(n)).sort();
  if (ggufs.length === 0) return null;
  if (ggufs.length > 1) {
    throw new InputError(`${src.describe(dir)}: has no config.json and ${ggufs.length} .gguf files (${ggufs.slice(0, 3).join(', ')}${ggufs.length > 3 ? ', ...' : ''}): name the one to load`);
  }
  return joinPath(dir, ggufs[0]);
}

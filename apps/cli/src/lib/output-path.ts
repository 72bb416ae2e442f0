import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '@xlora/core';
import { fromUser } from './paths.js';

/**
 * Checks, before any work, that the file `flag` names can be written: its folder exists and is writable and the
 * path is not a folder. Returns the resolved path. (Otherwise a typo in --out fails only after the whole run.)
 */
export async function checkOutputPath(flag: string, userPath: string): Promise<string> {
  const path = fromUser(userPath);
  const dir = dirname(path);
  const dirStat = await stat(dir).catch(() => null);
  if (!dirStat) throw new InputError(`${flag} ${userPath}: the folder ${dir} does not exist (create it first)`);
  if (!dirStat.isDirectory()) throw new InputError(`${flag} ${userPath}: ${dir} is not a folder`);
  const target = await stat(path).catch(() => null);
  if (target?.isDirectory()) throw new InputError(`${flag} ${userPath}: is a folder; expected a file path`);
  try {
    await access(target ? path : dir, constants.W_OK);
  } catch {
    throw new InputError(`${flag} ${userPath}: no permission to write ${target ? path : `in ${dir}`}`);
  }
  return path;
}

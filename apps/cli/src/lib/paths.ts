import { isAbsolute, resolve } from 'node:path';

/** The directory the user ran the command from (pnpm runs scripts from the repo root but keeps it in INIT_CWD). */
export function userCwd(): string {
  return process.env.INIT_CWD || process.cwd();
}

export function fromUser(path: string): string {
  return isAbsolute(path) ? path : resolve(userCwd(), path);
}

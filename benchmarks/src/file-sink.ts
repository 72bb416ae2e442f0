import { open, rename, rm } from 'node:fs/promises';
import type { GgufSink } from '@xlora/model';

/**
 * Writes a file under a temporary name through `write` (one chunk at a time) and moves it into place only when
 * `write` finished, so an interrupted generation leaves no half file under the real name.
 */
export async function writeFileAtomically(path: string, write: (sink: GgufSink) => Promise<unknown>): Promise<void> {
  const tmp = `${path}.partial`;
  const handle = await open(tmp, 'w');
  try {
    await write({ write: async (bytes) => void (await handle.write(bytes)) });
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, path);
}

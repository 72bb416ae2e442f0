import { createWriteStream } from 'node:fs';
import { InputError } from '@xlora/core';
import type { TrainingRow } from './training-rows.js';

/** Writes the rows as JSONL `{"text": …}`, one per line (what `xlora train --data` reads). */
export async function writeJsonlRows(file: string, rows: readonly TrainingRow[]): Promise<void> {
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', (err) => reject(new InputError(`--out ${file}: cannot write (${err.message})`)));
  });
  const perWrite = 4096;
  for (let i = 0; i < rows.length; i += perWrite) {
    const chunk = rows.slice(i, i + perWrite).map((r) => `${JSON.stringify({ text: r.text })}\n`).join('');
    if (!out.write(chunk)) await Promise.race([new Promise<void>((resolve) => out.once('drain', resolve)), done]);
  }
  out.end();
  await done;
}

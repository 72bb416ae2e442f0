import { createWriteStream } from 'node:fs';
import { InputError } from '@xlora/core';
import { DOMAINS } from './corpus.js';
import type { TrainingRow } from './training-rows.js';

/**
 * One row as a JSONL line: `{"text": …}`, or with `segments` `{"segments": [{"text", "expert"}, …]}`, one segment
 * per piece labelled with its domain's expert (the demo's class order: prose 0, code 1, math 2), for
 * `xlora train --routing-weight`.
 */
export function rowLine(row: TrainingRow, segments: boolean): string {
  if (!segments) return JSON.stringify({ text: row.text });
  let at = 0;
  const parts = row.pieces.map((p) => {
    const text = row.text.slice(at, at + p.length);
    at += p.length;
    return { text, expert: DOMAINS.indexOf(p.domain) };
  });
  if (at !== row.text.length) throw new InputError(`a row's pieces cover ${at} of its ${row.text.length} bytes`);
  return JSON.stringify({ segments: parts });
}

/** Writes the rows as JSONL, one per line (what `xlora train --data` reads). */
export async function writeJsonlRows(file: string, rows: readonly TrainingRow[], segments = false): Promise<void> {
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', (err) => reject(new InputError(`--out ${file}: cannot write (${err.message})`)));
  });
  const perWrite = 4096;
  for (let i = 0; i < rows.length; i += perWrite) {
    const chunk = rows.slice(i, i + perWrite).map((r) => `${rowLine(r, segments)}\n`).join('');
    if (!out.write(chunk)) await Promise.race([new Promise<void>((resolve) => out.once('drain', resolve)), done]);
  }
  out.end();
  await done;
}

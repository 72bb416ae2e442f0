import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@xlora/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOMAINS, readSplits, type Domain } from './corpus.js';
import { DEFAULT_CORPUS_DIR } from './paths.js';
import { CHUNK_MAX, CHUNK_MIN, ROW_BYTES, trainingRows, type TrainingRow } from './training-rows.js';
import { writeJsonlRows } from './write-rows.js';

const ROWS = 3000;
let streams: Record<Domain, Uint8Array>;
let rows: TrainingRow[];

const slice = (d: Domain, offset: number, length: number) => Buffer.from(streams[d].subarray(offset, offset + length)).toString('latin1');

beforeAll(async () => {
  streams = await readSplits(DEFAULT_CORPUS_DIR, 'train', ROW_BYTES);
  rows = trainingRows(streams, ROWS, 1234);
});

describe('retrain-demo training rows (the demo README\'s sampling recipe)', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(trainingRows(streams, 200, 1234).map((r) => r.text)).toEqual(rows.slice(0, 200).map((r) => r.text));
    const other = trainingRows(streams, 200, 1235).map((r) => r.text);
    expect(other.filter((t, i) => t === rows[i]!.text).length).toBeLessThan(5);
  });

  it('makes every row exactly 128 bytes, each piece the stream bytes it names', () => {
    for (const row of rows) {
      expect(Buffer.byteLength(row.text, 'utf8')).toBe(ROW_BYTES);
      expect(row.pieces.map((p) => slice(p.domain, p.offset, p.length)).join('')).toBe(row.text);
    }
  });

  it('draws windows and stitched rows about half and half, windows from uniformly chosen domains', () => {
    const windows = rows.filter((r) => r.kind === 'window');
    // binomial(3000, ½): sd 27 rows; ±4 sd
    expect(Math.abs(windows.length - ROWS / 2)).toBeLessThan(110);
    for (const w of windows) {
      expect(w.pieces).toHaveLength(1);
      expect(w.pieces[0]!.length).toBe(ROW_BYTES);
    }
    for (const d of DOMAINS) {
      const share = windows.filter((w) => w.pieces[0]!.domain === d).length / windows.length;
      expect(Math.abs(share - 1 / 3)).toBeLessThan(0.05); // sd 0.012
    }
    // windows start anywhere in the stream, not only at line starts (≈ 1 in 40..60 bytes is a line start)
    const atLineStart = windows.filter((w) => w.pieces[0]!.offset === 0 || streams[w.pieces[0]!.domain][w.pieces[0]!.offset - 1] === 0x0a).length;
    expect(atLineStart / windows.length).toBeLessThan(0.2);
  });

  it('stitches rows from line-aligned chunks of 24..96 bytes of uniformly chosen domains, so domains switch inside rows', () => {
    const stitched = rows.filter((r) => r.kind === 'stitched');
    const chunks = stitched.flatMap((r) => r.pieces.map((p, i) => ({ ...p, last: i === r.pieces.length - 1 })));
    for (const c of chunks) {
      expect(c.offset === 0 || streams[c.domain][c.offset - 1] === 0x0a).toBe(true); // starts at a line start
      expect(c.length).toBeLessThanOrEqual(CHUNK_MAX);
      if (!c.last) expect(c.length).toBeGreaterThanOrEqual(CHUNK_MIN); // only the last chunk is cut to fill the row
    }
    // a row's first chunk is never cut (96 < 128): its length is the uniform draw from 24..96 (mean 60, sd of the mean ≈ 0.55)
    const first = stitched.map((r) => r.pieces[0]!.length);
    expect(Math.abs(first.reduce((s, n) => s + n, 0) / first.length - (CHUNK_MIN + CHUNK_MAX) / 2)).toBeLessThan(2.5);
    expect([Math.min(...first), Math.max(...first)]).toEqual([CHUNK_MIN, CHUNK_MAX]);
    for (const d of DOMAINS) expect(Math.abs(chunks.filter((c) => c.domain === d).length / chunks.length - 1 / 3)).toBeLessThan(0.05);
    // with ≥ 2 chunks a row keeps one domain with probability (1/3)^(chunks−1): most rows switch
    const switching = stitched.filter((r) => r.pieces.some((p, i) => i > 0 && p.domain !== r.pieces[i - 1]!.domain)).length;
    expect(switching / stitched.length).toBeGreaterThan(0.5);
    expect(stitched.every((r) => r.pieces.length >= 2)).toBe(true); // 128 > CHUNK_MAX
  });

  it('writes JSONL {"text"} rows that read back as the same 128 bytes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'retrain-demo-')), 'rows.jsonl');
    await writeJsonlRows(file, rows.slice(0, 500));
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => (JSON.parse(l) as { text: string }).text)).toEqual(rows.slice(0, 500).map((r) => r.text));
  });

  it('refuses bad counts and seeds with an InputError', () => {
    expect(() => trainingRows(streams, 0, 1)).toThrow(InputError);
    expect(() => trainingRows(streams, 10, -1)).toThrow(/--seed/);
    expect(() => trainingRows({ ...streams, math: new Uint8Array(50) }, 10, 1)).toThrow(/math train stream: 50 bytes/);
  });
});

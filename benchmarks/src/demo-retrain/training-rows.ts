import { InputError } from '@xlora/core';
import { uniformStream } from '../random-stream.js';
import { DOMAINS, type Domain } from './corpus.js';

/**
 * The demo README's "Sampling" recipe ("How it was trained"): every row is ROW_BYTES bytes; with probability ½ one
 * random window of one uniformly chosen domain's train stream, otherwise a row stitched from line-aligned chunks
 * (each starts at a line start, CHUNK_MIN..CHUNK_MAX bytes, the last one cut to fill the row) of uniformly chosen
 * domains, so that domain switches inside a row are seen in training.
 */
export const ROW_BYTES = 128;
export const CHUNK_MIN = 24;
export const CHUNK_MAX = 96;
export const WINDOW_PROBABILITY = 0.5;
/** Most rows one call may generate (each is held as a string until written). */
export const MAX_ROWS = 1_000_000;

export interface RowPiece {
  domain: Domain;
  /** byte offset of the piece in its domain's train stream */
  offset: number;
  length: number;
}

export interface TrainingRow {
  kind: 'window' | 'stitched';
  /** the pieces in row order (one for a window); their bytes joined are `text` */
  pieces: RowPiece[];
  text: string;
}

/** Offsets where a line begins (0 and after every '\n') that leave room for a CHUNK_MAX-byte chunk. */
export function chunkStarts(stream: Uint8Array): Int32Array {
  const starts: number[] = [];
  const last = stream.length - CHUNK_MAX;
  for (let i = 0; i <= last; i++) if (i === 0 || stream[i - 1] === 0x0a) starts.push(i);
  return Int32Array.from(starts);
}

/** Deterministic rows for one seed (mulberry32 from benchmarks/src/random-stream.ts). */
export function trainingRows(streams: Record<Domain, Uint8Array>, rows: number, seed: number): TrainingRow[] {
  if (!(Number.isInteger(rows) && rows >= 1 && rows <= MAX_ROWS)) throw new InputError(`--rows must be an integer from 1 to ${MAX_ROWS}, got ${rows}`);
  if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff)) throw new InputError(`--seed must be an integer from 0 to ${0xffffffff}, got ${seed}`);
  const starts = {} as Record<Domain, Int32Array>;
  for (const d of DOMAINS) {
    if (streams[d].length < ROW_BYTES) throw new InputError(`${d} train stream: ${streams[d].length} bytes, a row needs ${ROW_BYTES}`);
    starts[d] = chunkStarts(streams[d]);
    if (starts[d].length === 0) throw new InputError(`${d} train stream: no line start with ${CHUNK_MAX} bytes after it`);
  }
  const random = uniformStream(seed);
  const pick = (n: number) => Math.min(n - 1, Math.floor(random() * n)); // uniform in 0..n-1
  const out: TrainingRow[] = [];
  for (let r = 0; r < rows; r++) {
    const pieces: RowPiece[] = [];
    const kind = random() < WINDOW_PROBABILITY ? 'window' : 'stitched';
    if (kind === 'window') {
      const domain = DOMAINS[pick(DOMAINS.length)]!;
      pieces.push({ domain, offset: pick(streams[domain].length - ROW_BYTES + 1), length: ROW_BYTES });
    } else {
      for (let filled = 0; filled < ROW_BYTES;) {
        const domain = DOMAINS[pick(DOMAINS.length)]!;
        const offset = starts[domain][pick(starts[domain].length)]!;
        const length = Math.min(CHUNK_MIN + pick(CHUNK_MAX - CHUNK_MIN + 1), ROW_BYTES - filled);
        pieces.push({ domain, offset, length });
        filled += length;
      }
    }
    const text = pieces.map((p) => String.fromCharCode(...streams[p.domain].subarray(p.offset, p.offset + p.length))).join('');
    out.push({ kind, pieces, text });
  }
  return out;
}

import { DECODERS, isPacked, rowBytes, type HostTensor, type PackedTensor, type WeightTensor } from '@xlora/core';
import { BLOCK_DOTS } from './block-dots.js';
import type { RowDot4 } from './row-dot.js';

/**
 * Rows of a weight matrix [rows, cols] as f32, read straight from its storage format. An f32 weight is read in
 * place; a packed one (f16, bf16, q8_0, q4_0, q4_k, q6_k) has the requested rows decoded into a scratch buffer that
 * is reused across calls, with the same decoders dequantize() uses — so a kernel over these rows computes exactly
 * what it would over the dequantized f32 weight.
 */
export interface WeightRows {
  readonly rows: number;
  readonly cols: number;
  /** rows [first, first + count) as f32: `data[offset + r·cols + c]` is row first + r, column c */
  read(first: number, count: number): { data: Float32Array; offset: number };
  /** a packed weight's fused dot (row-dot.ts) where its bytes can be read in place: rows [first, first + 4) · x */
  dot4?: RowDot4;
}

/** One scratch for every packed weight: kernels run one at a time and use the rows before asking for more. */
let scratch = new Float32Array(0);
const view: { data: Float32Array; offset: number } = { data: scratch, offset: 0 };

function scratchFor(values: number): Float32Array {
  if (scratch.length < values) scratch = new Float32Array(values);
  return scratch;
}

/** A packed weight's rows, built once per tensor (its views and fused dot). */
const packedRows = new WeakMap<PackedTensor, WeightRows>();

export function weightRows(w: WeightTensor): WeightRows {
  const rows = w.shape[0], cols = w.shape[w.shape.length - 1];
  if (!isPacked(w)) {
    const data = (w as HostTensor).data as Float32Array;
    const direct = { data, offset: 0 };
    return {
      rows, cols,
      read(first) {
        direct.offset = first * cols;
        return direct;
      },
    };
  }
  let cached = packedRows.get(w);
  if (!cached) packedRows.set(w, (cached = packedWeightRows(w, rows, cols)));
  return cached;
}

function packedWeightRows(w: PackedTensor, rows: number, cols: number): WeightRows {
  const decode = DECODERS[w.format];
  const perRow = rowBytes(w.format, cols)!;
  const bytes = w.bytes;
  return {
    rows, cols,
    dot4: BLOCK_DOTS[w.format](w),
    read(first, count) {
      const out = scratchFor(count * cols);
      decode(bytes, first * perRow, count * cols, out, 0);
      view.data = out;
      view.offset = 0;
      return view;
    },
  };
}

/** Row `row` of a weight as f32 into out[outOffset..] (a packed row decoded, an f32 row copied). */
export function copyWeightRow(w: WeightTensor, row: number, out: Float32Array, outOffset: number): void {
  const cols = w.shape[w.shape.length - 1];
  if (!isPacked(w)) {
    out.set(((w as HostTensor).data as Float32Array).subarray(row * cols, (row + 1) * cols), outOffset);
    return;
  }
  DECODERS[w.format](w.bytes, row * rowBytes(w.format, cols)!, cols, out, outOffset);
}

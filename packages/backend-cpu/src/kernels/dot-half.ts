import { halfToFloatTable, type PackedTensor } from '@xlora/core';
import type { RowDot4 } from './row-dot.js';

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The f32 value of every bf16 bit pattern (the pattern shifted into the top half of an f32), built once. */
let bf16Table: Float32Array | undefined;
function bf16ToFloatTable(): Float32Array {
  if (!bf16Table) {
    const bits = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) bits[h] = h << 16;
    bf16Table = new Float32Array(bits.buffer);
  }
  return bf16Table;
}

/**
 * f16 / bf16 rows read two values per 32-bit word, each decoded by one table lookup (exact: every f16/bf16 is an
 * f32, so each product and the in-order sum are those of the f32 kernel over the decoded rows).
 */
function tableDot(w: PackedTensor, table: Float32Array): RowDot4 | undefined {
  const { bytes } = w;
  const k = w.shape[w.shape.length - 1];
  if (!littleEndian || bytes.byteOffset % 4 !== 0 || k % 2 !== 0) return undefined;
  const pairs = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  return (first, { x }, out, at) => dot4(pairs, table, k >> 1, first, x, out, at);
}

/** Module-level (one optimized copy for every weight, see dot-q4-0.ts). */
function dot4(pairs: Uint32Array, table: Float32Array, n: number, first: number, x: Float64Array, out: Float32Array, at: number): void {
  const o0 = first * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let i = 0; i < n; i++) {
    const u = x[2 * i], v = x[2 * i + 1];
    let p = pairs[o0 + i];
    s0 += table[p & 0xffff] * u;
    s0 += table[p >>> 16] * v;
    p = pairs[o1 + i];
    s1 += table[p & 0xffff] * u;
    s1 += table[p >>> 16] * v;
    p = pairs[o2 + i];
    s2 += table[p & 0xffff] * u;
    s2 += table[p >>> 16] * v;
    p = pairs[o3 + i];
    s3 += table[p & 0xffff] * u;
    s3 += table[p >>> 16] * v;
  }
  out[at] = s0; out[at + 1] = s1; out[at + 2] = s2; out[at + 3] = s3;
}

export const f16Dot = (w: PackedTensor) => tableDot(w, halfToFloatTable());
export const bf16Dot = (w: PackedTensor) => tableDot(w, bf16ToFloatTable());

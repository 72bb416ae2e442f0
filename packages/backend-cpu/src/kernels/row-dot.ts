import type { PackedTensor } from '@xlora/core';
import type { XRow } from './x-row.js';

/**
 * Dots of one prepared row of x with four consecutive weight rows [first, first + 4), read straight from the
 * packed bytes (no decoded copy), into out[at .. at+4). Four rows per pass load each x value once for four
 * products.
 *
 * Arithmetic: each product q·x of a block's integer level and an f32 x is exact in f64, so a block's Σ q·x is
 * summed in f64 and multiplied by the block's scale once (and its constant offset applied once as offset·Σx).
 * That is the dequantized dot up to f64 rounding of the order of summation (and, for q4_k, without the f32
 * rounding of each decoded value d·q − m): a relative difference of order 1e-7 of Σ|x·w| at most, not bit
 * equality with the f32 kernel over the dequantized rows.
 */
export type RowDot4 = (first: number, x: XRow, out: Float32Array, at: number) => void;

/** A weight's fused dot, or undefined where its bytes cannot be read in place (see u16-view.ts). */
export type RowDotFor = (w: PackedTensor) => RowDot4 | undefined;

import type { PackedFormat } from '@xlora/core';
import { bf16Dot, f16Dot } from './dot-half.js';
import { q4_0Dot } from './dot-q4-0.js';
import { q4_KDot } from './dot-q4-k.js';
import { q6_KDot } from './dot-q6-k.js';
import { q8_0Dot } from './dot-q8-0.js';
import type { RowDotFor } from './row-dot.js';

/** Every packed format's fused four-row dot (row-dot.ts), used for a single row of x (decode). */
export const BLOCK_DOTS: Readonly<Record<PackedFormat, RowDotFor>> = {
  f16: f16Dot,
  bf16: bf16Dot,
  q8_0: q8_0Dot,
  q4_0: q4_0Dot,
  q4_k: q4_KDot,
  q6_k: q6_KDot,
};

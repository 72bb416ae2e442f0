import { describe, expect, it } from 'vitest';
import { f32 } from '../tensor.js';
import { quantize } from './index.js';

/**
 * q8_0 and q4_0 against ggml's reference quantizers (quantize_row_q8_0_ref / quantize_row_q4_0_ref in
 * ggml-quants.c), on blocks whose expected bytes are worked out by hand from those definitions:
 *   q8_0: d = amax/127 (f32, stored as f16), q = roundf(x · (1/d)), roundf = half away from zero;
 *   q4_0: d = max/−8 with max the signed value of largest magnitude (the first wins ties), stored as f16,
 *         q = MIN(15, (int8)(x · (1/d) + 8.5)) — truncation, so x/d + 8 rounded half up, then clamped to 15.
 * Every d below is exact in f32, so x·(1/d) is exact and each expected q follows from the rule alone.
 */

const block = (values: Record<number, number>, fill = 0): number[] => {
  const out = new Array<number>(32).fill(fill);
  for (const [i, v] of Object.entries(values)) out[Number(i)] = v;
  return out;
};
const q8 = (x: number[]) => quantize(f32([1, 32], x), 'q8_0').bytes;
const q4 = (x: number[]) => quantize(f32([1, 32], x), 'q4_0').bytes;
const int8 = (b: number) => (b << 24) >> 24;
const half = (bytes: Uint8Array) => bytes[0] | (bytes[1] << 8);
/** q4_0 nibble of element i: low nibbles hold 0–15, high nibbles 16–31 */
const nibble = (bytes: Uint8Array, i: number) => (i < 16 ? bytes[2 + i] & 15 : bytes[2 + i - 16] >> 4);

describe('q8_0 is byte-identical to ggml\'s reference quantizer', () => {
  it('an all-zero block is all zero bytes (d = 0, id = 0)', () => {
    expect([...q8(block({}))]).toEqual(new Array(34).fill(0));
  });

  it('rounds ties half away from zero (d = 127/127 = 1)', () => {
    const bytes = q8(block({ 0: 127, 1: 2.5, 2: -2.5, 3: 0.5, 4: -0.5, 5: 1.5, 6: -1.5, 7: 3.25, 8: -126.5, 9: 0.25 }));
    expect(half(bytes)).toBe(0x3c00);
    // half to even would give 2, −2, 0, 0, 2, −2 for the ties
    expect([...bytes.subarray(2, 12)].map(int8)).toEqual([127, 3, -3, 1, -1, 2, -2, 3, -127, 0]);
  });

  it('a negative maximum: amax = |−254|, d = 2, id = 0.5', () => {
    const bytes = q8(block({ 0: 5, 1: -254, 2: 1, 3: -7, 4: 253, 5: -1 }));
    expect(half(bytes)).toBe(0x4000);
    expect([...bytes.subarray(2, 8)].map(int8)).toEqual([3, -127, 1, -4, 127, -1]);
  });

  it('d is rounded to f16 but q uses 1/d of the f32 d', () => {
    // d = f32(1/127) = 2^-7 · 1.00787…; f16 keeps 10 mantissa bits: 1.00787·1024 = 1032.06 -> 1032 = 0x408, exponent 8
    const bytes = q8(block({ 0: 1, 1: -0.5, 2: 0.25 }));
    expect(half(bytes)).toBe(0x2008);
    // 1/f32(1/127) rounds to 127 in f32: 0.5·127 = 63.5 -> 64 (away from zero), 0.25·127 = 31.75 -> 32
    expect([...bytes.subarray(2, 5)].map(int8)).toEqual([127, -64, 32]);
  });
});

describe('q4_0 is byte-identical to ggml\'s reference quantizer', () => {
  it('an all-zero block: d = 0/−8 = −0 (f16 0x8000), every q = trunc(0 + 8.5) = 8', () => {
    expect([...q4(block({}))]).toEqual([0x00, 0x80, ...new Array(16).fill(0x88)]);
  });

  it('a positive maximum 8 gives d = −1; truncation of x·(−1) + 8.5 and the MIN(15) clamp', () => {
    const x = block({ 0: 8, 1: -8, 2: 0.5, 3: -0.5, 4: 1.5, 5: -0.25, 6: 0.25, 7: -7.5, 8: -7.25, 9: 7.75, 16: 2.5, 31: -3 });
    const bytes = q4(x);
    expect(half(bytes)).toBe(0xbc00);
    // 8 -> 0.5 -> 0; −8 -> 16.5 -> 16 -> 15; 0.5 -> 8; −0.5 -> 9; 1.5 -> 7; −0.25 -> 8.75 -> 8 (trunc, not 9);
    // 0.25 -> 8.25 -> 8; −7.5 -> 16 -> 15; −7.25 -> 15.75 -> 15; 7.75 -> 0.75 -> 0; 2.5 -> 6; −3 -> 11.5 -> 11
    const want: Record<number, number> = { 0: 0, 1: 15, 2: 8, 3: 9, 4: 7, 5: 8, 6: 8, 7: 15, 8: 15, 9: 0, 16: 6, 31: 11 };
    for (let i = 0; i < 32; i++) expect(nibble(bytes, i), `element ${i}`).toBe(want[i] ?? 8);
    expect(bytes[2 + 0]).toBe(0 | (6 << 4)); // element 0 in the low nibble, element 16 in the high nibble
  });

  it('a negative maximum −16 gives d = 2; the first of two equal magnitudes wins', () => {
    const negFirst = q4(block({ 0: -16, 1: 16, 2: 3, 3: -3 }));
    expect(half(negFirst)).toBe(0x4000); // d = −16/−8 = 2
    // id = 0.5: −16 -> 0.5 -> 0; 16 -> 16.5 -> 15 (clamped); 3 -> 10; −3 -> 7
    expect([0, 1, 2, 3].map((i) => nibble(negFirst, i))).toEqual([0, 15, 10, 7]);
    const posFirst = q4(block({ 0: 16, 1: -16, 2: 3, 3: -3 }));
    expect(half(posFirst)).toBe(0xc000); // d = 16/−8 = −2
    // id = −0.5: 16 -> 0; −16 -> 15; 3 -> 7; −3 -> 10
    expect([0, 1, 2, 3].map((i) => nibble(posFirst, i))).toEqual([0, 15, 7, 10]);
  });

  it('d is rounded to f16: max = 1/3 gives d = −0.0416667, f16 0xa955', () => {
    // f32(1/3)/−8 = −2^-5 · 1.3333334; f16 mantissa 0.3333·1024 = 341.3 -> 341 = 0x155, exponent −5+15 = 10, sign set
    const bytes = q4(block({ 0: 1 / 3, 1: -1 / 3 }));
    expect(half(bytes)).toBe(0xa955);
    // 1/d in f32 = −24: 1/3 -> −8.0000002 -> f32 −8 -> 0.5 -> 0; −1/3 -> 16.5 -> 15
    expect([nibble(bytes, 0), nibble(bytes, 1), nibble(bytes, 2)]).toEqual([0, 15, 8]);
  });

  it('each 32-value block is quantized on its own', () => {
    const two = quantize(f32([1, 64], [...block({ 0: 8 }), ...block({ 5: -16 })]), 'q4_0').bytes;
    expect([...two.subarray(0, 18)]).toEqual([...q4(block({ 0: 8 }))]);
    expect([...two.subarray(18)]).toEqual([...q4(block({ 5: -16 }))]);
  });
});

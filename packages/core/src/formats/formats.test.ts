import { describe, expect, it } from 'vitest';
import { f32 } from '../tensor.js';
import {
  bf16BitsToFloat, decodeRows, dequantize, floatToBf16Bits, floatToHalfBits, formatByteLength, halfBitsToFloat, packed,
  quantize, resolveWeights,
} from './index.js';

describe('half-precision codec', () => {
  it('decodes and encodes known f16 bit patterns', () => {
    const cases: [number, number][] = [
      [0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0001, 2 ** -24], [0x0400, 2 ** -14], [0x3555, 0.333251953125],
      [0x7c00, Infinity], [0xfc00, -Infinity],
    ];
    for (const [bits, value] of cases) {
      expect(halfBitsToFloat(bits)).toBe(value);
      expect(floatToHalfBits(value)).toBe(bits);
    }
    expect(Number.isNaN(halfBitsToFloat(0x7e00))).toBe(true);
    // ties go to even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalfBits(65520)).toBe(0x7c00); // rounds past the largest finite f16
  });

  it('decodes and encodes bf16', () => {
    expect(bf16BitsToFloat(0x3f80)).toBe(1);
    expect(bf16BitsToFloat(0xc040)).toBe(-3);
    expect(floatToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie to even
    expect(floatToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });
});

describe('block formats', () => {
  it('sizes tensors in whole blocks', () => {
    expect(formatByteLength('q4_0', [3, 64])).toBe(3 * 2 * 18);
    expect(formatByteLength('q8_0', [2, 32])).toBe(68);
    expect(formatByteLength('q4_k', [1, 512])).toBe(288);
    expect(formatByteLength('q6_k', [4, 256])).toBe(840);
    expect(formatByteLength('bf16', [5, 3])).toBe(30);
    expect(formatByteLength('q4_0', [2, 48])).toBeNull();
    expect(() => packed('q8_0', [1, 32], new Uint8Array(33))).toThrow(/needs 34 bytes, got 33/);
  });

  it('q8_0: value = qs[i]·d, hand-built block', () => {
    const bytes = new Uint8Array(34);
    bytes[0] = 0x00; bytes[1] = 0x38; // d = 0.5
    for (let i = 0; i < 32; i++) bytes[2 + i] = (i - 16) & 0xff;
    const t = dequantize(packed('q8_0', [1, 32], bytes));
    expect([...t.data]).toEqual(Array.from({ length: 32 }, (_, i) => (i - 16) * 0.5));
  });

  it('q4_0: low nibbles are elements 0–15, high nibbles 16–31, value = (q − 8)·d', () => {
    const bytes = new Uint8Array(18);
    bytes[0] = 0x00; bytes[1] = 0x40; // d = 2
    for (let i = 0; i < 16; i++) bytes[2 + i] = i | ((15 - i) << 4);
    const t = dequantize(packed('q4_0', [1, 32], bytes));
    const want = [...Array.from({ length: 16 }, (_, i) => (i - 8) * 2), ...Array.from({ length: 16 }, (_, i) => (15 - i - 8) * 2)];
    expect([...t.data]).toEqual(want);
  });

  it('q4_k: 6-bit scales and mins of the eight sub-blocks, hand-built super-block', () => {
    const bytes = new Uint8Array(144);
    bytes[0] = 0x00; bytes[1] = 0x3c; // d = 1
    bytes[2] = 0x00; bytes[3] = 0x38; // dmin = 0.5
    const scale = [1, 2, 3, 4, 5, 6, 7, 63];
    const min = [0, 1, 2, 3, 4, 5, 6, 62];
    const sc = bytes.subarray(4, 16);
    for (let j = 0; j < 4; j++) {
      sc[j] = scale[j] | ((scale[j + 4] >> 4) << 6);
      sc[j + 4] = min[j] | ((min[j + 4] >> 4) << 6);
      sc[j + 8] = (scale[j + 4] & 15) | ((min[j + 4] & 15) << 4);
    }
    for (let l = 0; l < 128; l++) bytes[16 + l] = (l % 16) | ((15 - (l % 16)) << 4);
    const t = dequantize(packed('q4_k', [1, 256], bytes));
    for (let i = 0; i < 256; i++) {
      const sub = i >> 5; // which 32-value sub-block
      const l = (sub >> 1) * 32 + (i % 32); // the byte that holds it
      const q = sub % 2 === 0 ? l % 16 : 15 - (l % 16);
      expect(t.data[i]).toBe(scale[sub] * q - 0.5 * min[sub]);
    }
  });

  it('q6_k: 4 low bits in ql, 2 high bits in qh, signed 8-bit sub-block scales', () => {
    const bytes = new Uint8Array(210);
    bytes[208] = 0x00; bytes[209] = 0x38; // d = 0.5
    for (let s = 0; s < 16; s++) bytes[192 + s] = (s - 8) & 0xff;
    for (let i = 0; i < 128; i++) bytes[i] = (i * 7) & 0xff;
    for (let i = 0; i < 64; i++) bytes[128 + i] = (i * 13) & 0xff;
    const t = dequantize(packed('q6_k', [1, 256], bytes));
    for (let i = 0; i < 256; i++) {
      const half = i >> 7, j = i & 127, quarter = j >> 5, l = j & 31;
      const ql = bytes[half * 64 + l + (quarter & 1) * 32];
      const low = quarter < 2 ? ql & 15 : ql >> 4;
      const high = (bytes[128 + half * 32 + l] >> (2 * quarter)) & 3;
      const scale = (bytes[192 + half * 8 + (l >> 4) + 2 * quarter] << 24) >> 24;
      expect(t.data[i]).toBe(0.5 * scale * ((low | (high << 4)) - 32));
    }
  });

  it('q8_0 and q4_0 quantize with ggml reference rounding', () => {
    const x = f32([1, 32], Array.from({ length: 32 }, (_, i) => (i - 10) / 4));
    const q8 = quantize(x, 'q8_0');
    // amax = 21/4, d = f32(5.25 / 127); q = roundf(x / d) — 5.25 maps to 127
    expect((q8.bytes[2 + 31] << 24) >> 24).toBe(127);
    expect((q8.bytes[2 + 10] << 24) >> 24).toBe(0);
    const q4 = quantize(x, 'q4_0');
    // the signed largest-magnitude value is +5.25, so d = −5.25/8 and it maps to q = 0 (value −8·d)
    expect(halfBitsToFloat(q4.bytes[0] | (q4.bytes[1] << 8))).toBe(halfBitsToFloat(floatToHalfBits(-5.25 / 8)));
    expect(q4.bytes[2 + 15] >> 4).toBe(0);
    const back = dequantize(q4);
    for (let i = 0; i < 32; i++) expect(Math.abs(back.data[i] - x.data[i])).toBeLessThanOrEqual(5.25 / 16 + 1e-3);
  });

  it('decodes a row range and dequantizes once per tensor for backends', () => {
    const x = f32([3, 32], Array.from({ length: 96 }, (_, i) => Math.sin(i)));
    const q = quantize(x, 'q8_0');
    const row = new Float32Array(32);
    decodeRows(q, 2, 1, row);
    expect([...row]).toEqual([...dequantize(q).data.subarray(64)]);
    const heard: string[] = [];
    const a = resolveWeights(new Map([['w', q]]), ['f32'], (f, n) => heard.push(`${f}×${n}`));
    const b = resolveWeights(new Map([['w', q]]), ['f32']);
    expect(a.get('w')).toBe(b.get('w'));
    expect(heard).toEqual(['q8_0×1']);
    expect(resolveWeights(new Map([['w', q]]), ['q8_0']).get('w')).toBe(q);
  });
});

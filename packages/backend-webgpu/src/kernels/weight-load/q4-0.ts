import { BYTE_READS, wordsBinding, type WeightLoader } from './loader.js';

/**
 * q4_0 rows: blocks { f16 d; u8 qs[16] } of 18 bytes (2-aligned); element i < 16 is the low nibble of qs[i],
 * element 16 + i its high nibble; value = (q − 8)·d (exact in f32).
 */
export const q4_0Loader: WeightLoader = {
  enable: '',
  binding: wordsBinding,
  functions: (cols) => `${BYTE_READS}
fn q4_block(row: u32, k: u32) -> u32 { return row * ((${cols} >> 5u) * 18u) + (k >> 5u) * 18u; }
fn load_w(row: u32, k: u32) -> f32 {
  let b = q4_block(row, k);
  let i = k & 31u;
  let q = (w_u8(b + 2u + (i & 15u)) >> ((i >> 4u) * 4u)) & 15u;
  return (f32(q) - 8.0) * w_f16(b);
}
fn load_w4(row: u32, k: u32) -> vec4f {
  let b = q4_block(row, k);
  let i = k & 31u;
  let q = w_u32(b + 2u + (i & 15u)) >> ((i >> 4u) * 4u);
  let v = (vec4u(q) >> vec4u(0u, 8u, 16u, 24u)) & vec4u(15u);
  return (vec4f(v) - 8.0) * w_f16(b);
}
`,
};

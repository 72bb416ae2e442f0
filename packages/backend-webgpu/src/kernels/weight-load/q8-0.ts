import { BYTE_READS, wordsBinding, type WeightLoader } from './loader.js';

/**
 * q8_0 rows: blocks { f16 d; i8 qs[32] } of 34 bytes, so a block starts 2-aligned; value = qs[i]·d (exact in f32,
 * as the host decoder computes it).
 */
export const q8_0Loader: WeightLoader = {
  enable: '',
  binding: wordsBinding,
  functions: (cols) => `${BYTE_READS}
fn q8_block(row: u32, k: u32) -> u32 { return row * ((${cols} >> 5u) * 34u) + (k >> 5u) * 34u; }
fn load_w(row: u32, k: u32) -> f32 {
  let b = q8_block(row, k);
  let q = bitcast<i32>(w_u8(b + 2u + (k & 31u)) << 24u) >> 24u;
  return f32(q) * w_f16(b);
}
fn load_w4(row: u32, k: u32) -> vec4f {
  let b = q8_block(row, k);
  let q = w_u32(b + 2u + (k & 31u));
  let v = vec4i(bitcast<i32>(q << 24u), bitcast<i32>(q << 16u), bitcast<i32>(q << 8u), bitcast<i32>(q)) >> vec4u(24u);
  return vec4f(v) * w_f16(b);
}
`,
};

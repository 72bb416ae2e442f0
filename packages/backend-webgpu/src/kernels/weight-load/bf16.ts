import { wordsBinding, type WeightLoader } from './loader.js';

/** bf16 rows: two per u32 word (low half first); a bf16 is the top half of an f32, so a shift makes it one. */
export const bf16Loader: WeightLoader = {
  enable: '',
  binding: wordsBinding,
  functions: (cols) => `fn bf16_lo(x: u32) -> f32 { return bitcast<f32>(x << 16u); }
fn bf16_hi(x: u32) -> f32 { return bitcast<f32>(x & 0xffff0000u); }
fn load_w(row: u32, k: u32) -> f32 {
  let e = row * ${cols} + k;
  let x = w[e >> 1u];
  return select(bf16_lo(x), bf16_hi(x), (e & 1u) == 1u);
}
fn load_w4(row: u32, k: u32) -> vec4f {
  let i = (row * ${cols} + k) >> 1u;
  let a = w[i];
  let b = w[i + 1u];
  return vec4f(bf16_lo(a), bf16_hi(a), bf16_lo(b), bf16_hi(b));
}
`,
};

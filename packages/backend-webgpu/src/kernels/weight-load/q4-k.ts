import { wordsBinding, type WeightLoader } from './loader.js';

/**
 * q4_k rows: 256-value super-blocks { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] } of 144 bytes (36 words, so every
 * block is 4-aligned). Element i: group g = i / 64 of qs bytes [32g, 32g + 32); sub-block j = 2g + (i % 64 >= 32)
 * with ggml's 6-bit (scale, min) from `scales`; nibble low for the first 32 of the group, high for the next;
 * value = (d·scale)·q − dmin·min, in the host decoder's f32 steps (each product exact, one rounding).
 */
export const q4_kLoader: WeightLoader = {
  enable: '',
  binding: wordsBinding,
  functions: (cols) => `fn q4k_block(row: u32, k: u32) -> u32 { return row * ((${cols} >> 8u) * 36u) + (k >> 8u) * 36u; }
// byte j of the 12 scale bytes of the block at word wb
fn q4k_sb(wb: u32, j: u32) -> u32 { return (w[wb + 1u + (j >> 2u)] >> ((j & 3u) * 8u)) & 0xffu; }
// (d·scale, dmin·min) of sub-block j (ggml get_scale_min_k4)
fn q4k_scale(wb: u32, j: u32) -> vec2f {
  var s: u32;
  var m: u32;
  if (j < 4u) {
    s = q4k_sb(wb, j) & 63u;
    m = q4k_sb(wb, j + 4u) & 63u;
  } else {
    s = (q4k_sb(wb, j + 4u) & 15u) | ((q4k_sb(wb, j - 4u) >> 6u) << 4u);
    m = (q4k_sb(wb, j + 4u) >> 4u) | ((q4k_sb(wb, j) >> 6u) << 4u);
  }
  let dd = unpack2x16float(w[wb]);
  return vec2f(dd.x * f32(s), dd.y * f32(m));
}
fn load_w(row: u32, k: u32) -> f32 {
  let wb = q4k_block(row, k);
  let i = k & 255u;
  let g = i >> 6u;
  let hi = (i >> 5u) & 1u;
  let sm = q4k_scale(wb, 2u * g + hi);
  let byte = 16u + 32u * g + (i & 31u);
  let q = (w[wb + (byte >> 2u)] >> ((byte & 3u) * 8u + hi * 4u)) & 15u;
  return sm.x * f32(q) - sm.y;
}
fn load_w4(row: u32, k: u32) -> vec4f {
  let wb = q4k_block(row, k);
  let i = k & 255u;
  let g = i >> 6u;
  let hi = (i >> 5u) & 1u;
  let sm = q4k_scale(wb, 2u * g + hi);
  let q = w[wb + 4u + 8u * g + ((i & 31u) >> 2u)] >> (hi * 4u);
  let v = (vec4u(q) >> vec4u(0u, 8u, 16u, 24u)) & vec4u(15u);
  return sm.x * vec4f(v) - sm.y;
}
`,
};

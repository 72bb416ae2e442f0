import { wordsBinding, type WeightLoader } from './loader.js';

/**
 * f16 rows. Without shader-f16 the halves are read from u32 words with unpack2x16float (element e: word e/2,
 * low half first); with it (`f16Native`) the buffer binds as array<f16> / array<vec4<f16>>. Same bytes either way.
 */
export const f16Loader: WeightLoader = {
  enable: '',
  binding: wordsBinding,
  functions: (cols) => `fn load_w(row: u32, k: u32) -> f32 { let e = row * ${cols} + k; return unpack2x16float(w[e >> 1u])[e & 1u]; }
fn load_w4(row: u32, k: u32) -> vec4f {
  let i = (row * ${cols} + k) >> 1u;
  return vec4f(unpack2x16float(w[i]), unpack2x16float(w[i + 1u]));
}
`,
};

export const f16NativeLoader: WeightLoader = {
  enable: 'enable f16;\n',
  binding: (b, vec) => `@group(0) @binding(${b}) var<storage, read> w: array<${vec ? 'vec4<f16>' : 'f16'}>;\n`,
  functions: (cols, vec) => vec
    ? `fn load_w4(row: u32, k: u32) -> vec4f { return vec4f(w[(row * ${cols} + k) >> 2u]); }
fn load_w(row: u32, k: u32) -> f32 { let e = row * ${cols} + k; return f32(w[e >> 2u][e & 3u]); }
`
    : `fn load_w(row: u32, k: u32) -> f32 { return f32(w[row * ${cols} + k]); }
`,
};

import type { WeightLoader } from './loader.js';

/** f32 rows: array<f32>, or array<vec4f> for the vec4 kernels. */
export const f32Loader: WeightLoader = {
  enable: '',
  binding: (b, vec) => `@group(0) @binding(${b}) var<storage, read> w: array<${vec ? 'vec4f' : 'f32'}>;\n`,
  functions: (cols, vec) => vec
    ? `fn load_w4(row: u32, k: u32) -> vec4f { return w[(row * ${cols} + k) >> 2u]; }
fn load_w(row: u32, k: u32) -> f32 { let e = row * ${cols} + k; return w[e >> 2u][e & 3u]; }
`
    : `fn load_w(row: u32, k: u32) -> f32 { return w[row * ${cols} + k]; }
`,
};

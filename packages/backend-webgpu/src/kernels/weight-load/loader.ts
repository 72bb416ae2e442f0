/**
 * A weight-load prologue: how a kernel reads its weight matrix `w` (rows of `cols` values) in one storage format.
 * Each format's plug-in declares the binding and emits two WGSL functions the tiling strategies call:
 *   load_w(row, k)  -> f32     the value w[row, k]
 *   load_w4(row, k) -> vec4f   w[row, k..k+3], for k % 4 == 0 when cols % 4 == 0 (the vec4 kernels)
 * `row` counts from the first row of the bound buffer (a chunk of a row-split weight starts at its own row 0).
 * Packed formats are bound as the file's bytes, as is, in an array<u32> (the last word zero-padded).
 */
export interface WeightLoader {
  /** WGSL directives the loader needs (`enable f16;`) */
  readonly enable: string;
  /** the binding of `w`; `vec`: the kernel reads whole vec4s (f32 and native f16 bind vec4 arrays then) */
  binding(binding: number, vec: boolean): string;
  /** load_w / load_w4 (and their helpers) for rows of `cols` values, a WGSL u32 expression such as `p.K` */
  functions(cols: string, vec: boolean): string;
}

/** `w` as raw little-endian bytes in u32 words. */
export const wordsBinding = (binding: number): string =>
  `@group(0) @binding(${binding}) var<storage, read> w: array<u32>;\n`;

/** Byte-level reads of `w` (array<u32>); the block formats' fields sit at even, not always 4-aligned, offsets. */
export const BYTE_READS = `
// the byte at byte offset b
fn w_u8(b: u32) -> u32 { return (w[b >> 2u] >> ((b & 3u) * 8u)) & 0xffu; }
// the 16 bits at an even byte offset b
fn w_u16(b: u32) -> u32 { return (w[b >> 2u] >> ((b & 2u) * 8u)) & 0xffffu; }
// the 32 bits at an even byte offset b (two words when b % 4 == 2)
fn w_u32(b: u32) -> u32 {
  let i = b >> 2u;
  if ((b & 2u) == 0u) { return w[i]; }
  return (w[i] >> 16u) | (w[i + 1u] << 16u);
}
// the f16 at an even byte offset b
fn w_f16(b: u32) -> f32 { return unpack2x16float(w_u16(b)).x; }
`;

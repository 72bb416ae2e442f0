/**
 * Storage formats of weights. A weight keeps the format it was stored in; compute is f32 (or f16 where a backend
 * opts in). The block formats are ggml's: each row of the last axis is a run of blocks of `blockElems` values.
 */
export type WeightFormat = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_k' | 'q6_k';

/** The formats other than plain f32 arrays: a weight in one of these is a PackedTensor. */
export type PackedFormat = Exclude<WeightFormat, 'f32'>;

export const WEIGHT_FORMATS: readonly WeightFormat[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_k', 'q6_k'];

export interface FormatLayout {
  /** values per block (1 for the element formats) */
  readonly blockElems: number;
  /** bytes per block */
  readonly blockBytes: number;
}

/**
 * Block layouts (ggml):
 *   q8_0 = { f16 d; i8 qs[32] }                                      value = qs[i]·d
 *   q4_0 = { f16 d; u8 qs[16] }   low nibbles: elements 0–15, high: 16–31, value = (q − 8)·d
 *   q4_k = { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] }             8 sub-blocks of 32, 6-bit scale and min each
 *   q6_k = { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d }            16 sub-blocks of 16, value = d·scale·(q − 32)
 */
export const FORMAT_LAYOUT: Readonly<Record<WeightFormat, FormatLayout>> = {
  f32: { blockElems: 1, blockBytes: 4 },
  f16: { blockElems: 1, blockBytes: 2 },
  bf16: { blockElems: 1, blockBytes: 2 },
  q8_0: { blockElems: 32, blockBytes: 34 },
  q4_0: { blockElems: 32, blockBytes: 18 },
  q4_k: { blockElems: 256, blockBytes: 144 },
  q6_k: { blockElems: 256, blockBytes: 210 },
};

export function isWeightFormat(x: unknown): x is WeightFormat {
  return typeof x === 'string' && (WEIGHT_FORMATS as readonly string[]).includes(x);
}

/** Bytes of one row of `rowElems` values; null when the row is not a whole number of blocks. */
export function rowBytes(format: WeightFormat, rowElems: number): number | null {
  const { blockElems, blockBytes } = FORMAT_LAYOUT[format];
  return rowElems % blockElems === 0 ? (rowElems / blockElems) * blockBytes : null;
}

/** Bytes of a whole tensor of `shape` (rows along the last axis); null when its rows are not whole blocks. */
export function formatByteLength(format: WeightFormat, shape: readonly number[]): number | null {
  if (shape.length === 0) return FORMAT_LAYOUT[format].blockElems === 1 ? FORMAT_LAYOUT[format].blockBytes : null;
  const perRow = rowBytes(format, shape[shape.length - 1]);
  if (perRow === null) return null;
  let rows = 1;
  for (let i = 0; i < shape.length - 1; i++) rows *= shape[i];
  return rows * perRow;
}

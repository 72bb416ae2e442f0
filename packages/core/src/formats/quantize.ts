import { InputError } from '../errors.js';
import { formatShape, type HostTensor } from '../tensor.js';
import { encodeBf16, encodeHalf } from './half.js';
import { quantizeQ4_0 } from './blocks/q4-0.js';
import { quantizeQ4_K } from './blocks/q4-k-quantize.js';
import { quantizeQ6_K } from './blocks/q6-k-quantize.js';
import { quantizeQ8_0 } from './blocks/q8-0.js';
import { packed, type PackedTensor } from './packed-tensor.js';
import { FORMAT_LAYOUT, formatByteLength, type PackedFormat } from './weight-format.js';

type RowEncoder = (src: Float32Array, dst: Uint8Array, dstOffset: number) => void;

const halfEncoder = (encode: (x: Float32Array) => Uint16Array): RowEncoder => (src, dst, off) => {
  const h = encode(src);
  for (let i = 0; i < h.length; i++) {
    dst[off + 2 * i] = h[i] & 0xff;
    dst[off + 2 * i + 1] = h[i] >>> 8;
  }
};

/** Encoders for the formats we can write (ggml's reference quantizers for the block formats). */
const ENCODERS: Partial<Record<PackedFormat, RowEncoder>> = {
  f16: halfEncoder(encodeHalf),
  bf16: halfEncoder(encodeBf16),
  q8_0: quantizeQ8_0,
  q4_0: quantizeQ4_0,
  q4_k: quantizeQ4_K,
  q6_k: quantizeQ6_K,
};

export function canQuantizeTo(format: PackedFormat): boolean {
  return ENCODERS[format] !== undefined;
}

/** Registers the encoder of a format (used by the k-quant quantizers' own files). */
export function registerEncoder(format: PackedFormat, encode: RowEncoder): void {
  ENCODERS[format] = encode;
}

/** An f32 tensor stored as `format` (ggml's reference quantizers for the block formats). */
export function quantize(t: HostTensor<'f32'>, format: PackedFormat, what = 'tensor'): PackedTensor {
  const encode = ENCODERS[format];
  if (!encode) throw new InputError(`${what}: quantizing to ${format} is not supported`);
  const bytes = formatByteLength(format, t.shape);
  if (bytes === null) {
    throw new InputError(`${what}: shape ${formatShape(t.shape)} cannot be stored as ${format}: its rows must be a multiple of ${FORMAT_LAYOUT[format].blockElems} values`);
  }
  const out = new Uint8Array(bytes);
  if (t.data.length > 0) encode(t.data, out, 0);
  return packed(format, t.shape, out, what);
}

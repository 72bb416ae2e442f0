import { canQuantizeTo, DECODERS, f32, formatShape, InputError, numel, packed, quantize, rowBytes, type HostTensor, type PackedFormat, type WeightFormat, type WeightTensor } from '@xlora/core';
import { SAFETENSORS_ITEM_SIZE, type SafetensorsDType } from './safetensors-dtypes.js';
import type { SafetensorsRangeFile } from './safetensors-range-file.js';
import { floatValues } from './safetensors-values.js';

/** Raw bytes read per range while converting a tensor: bounds the transient memory of a conversion. */
export const CONVERT_CHUNK_BYTES = 4 << 20;

/** Decoders of the dtypes stored as a core format, into a reused f32 scratch (others go through floatValues). */
const DECODE: Partial<Record<SafetensorsDType, (typeof DECODERS)['f32']>> = { F32: DECODERS.f32, F16: DECODERS.f16, BF16: DECODERS.bf16 };

/** The storage format a safetensors dtype is kept in as is (F64 has none: it is narrowed to f32). */
const KEPT: Partial<Record<SafetensorsDType, WeightFormat>> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };

/**
 * A float tensor of `file` in storage format `format` (undefined: as stored). The stored bytes are kept when they
 * already are that format; otherwise the tensor is converted in row chunks of about CONVERT_CHUNK_BYTES read from
 * the file (decoded to f32, then quantized), so the memory it takes is its result plus one chunk.
 * `onBytes` hears the bytes of each range read.
 */
export async function readWeightAs(
  file: SafetensorsRangeFile, name: string, format: WeightFormat | undefined,
  opts: { onBytes?: (bytes: number) => void; chunkBytes?: number } = {},
): Promise<WeightTensor> {
  const { onBytes, chunkBytes = CONVERT_CHUNK_BYTES } = opts;
  const info = file.info(name);
  if (format === undefined || KEPT[info.dtype] === format) {
    const t = await file.readWeight(name);
    onBytes?.(info.byteLength);
    return t;
  }
  if (format === 'f32') {
    const t = await file.readF32(name);
    onBytes?.(info.byteLength);
    return t;
  }
  const what = `${file.file}: tensor ${JSON.stringify(name)}`;
  if (!canQuantizeTo(format)) throw new InputError(`${what}: quantizing to ${format} is not available (no ${format} encoder in @xlora/core)`);
  const shape = info.shape;
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1];
  const outRow = rowBytes(format, cols);
  if (outRow === null) throw new InputError(`${what}: shape ${formatShape(shape)} cannot be stored as ${format}: its rows must be a multiple of the format's block`);
  const rows = cols === 0 ? 0 : numel(shape) / cols;
  const inRow = cols * SAFETENSORS_ITEM_SIZE[info.dtype];
  const out = new Uint8Array(rows * outRow);
  const rowsPerChunk = Math.max(1, Math.floor(chunkBytes / Math.max(1, inRow)));
  const decode = DECODE[info.dtype];
  const scratch = decode ? new Float32Array(Math.min(rows, rowsPerChunk) * cols) : null; // [rowsPerChunk, cols], reused
  for (let r = 0; r < rows; r += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, rows - r);
    const bytes = await file.read(name, r * inRow, (r + n) * inRow);
    let values: HostTensor<'f32'>;
    if (decode && scratch) {
      decode(bytes, 0, n * cols, scratch, 0);
      values = f32([n, cols], scratch.subarray(0, n * cols));
    } else {
      values = floatValues({ dtype: info.dtype, shape: [n, cols], byteLength: bytes.length }, bytes, file.file, name);
    }
    out.set(quantize(values, format as PackedFormat, what).bytes, r * outRow);
    onBytes?.(bytes.length);
  }
  return packed(format as PackedFormat, shape, out, what);
}

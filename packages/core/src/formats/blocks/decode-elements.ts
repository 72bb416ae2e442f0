import { halfToFloatTable } from '../half.js';

/** f16 values stored little-endian: `count` of them from bytes[offset] into out[outOffset..]. */
export function decodeF16(bytes: Uint8Array, offset: number, count: number, out: Float32Array, outOffset: number): void {
  const table = halfToFloatTable();
  for (let i = 0; i < count; i++, offset += 2) out[outOffset + i] = table[bytes[offset] | (bytes[offset + 1] << 8)];
}

/** bf16 values stored little-endian. */
export function decodeBf16Bytes(bytes: Uint8Array, offset: number, count: number, out: Float32Array, outOffset: number): void {
  const u = new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, count);
  for (let i = 0; i < count; i++, offset += 2) u[i] = (bytes[offset] << 16) | (bytes[offset + 1] << 24);
}

/** f32 values stored little-endian (possibly unaligned). */
export function decodeF32Bytes(bytes: Uint8Array, offset: number, count: number, out: Float32Array, outOffset: number): void {
  new Uint8Array(out.buffer, out.byteOffset + outOffset * 4, count * 4).set(bytes.subarray(offset, offset + count * 4));
}

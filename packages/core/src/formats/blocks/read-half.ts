import { halfToFloatTable } from '../half.js';

const table = halfToFloatTable();

/** The f16 value stored little-endian at bytes[offset]. */
export function readHalf(bytes: Uint8Array, offset: number): number {
  return table[bytes[offset] | (bytes[offset + 1] << 8)];
}

/**
 * The bytes of a packed weight as little-endian 16-bit words, read in place: a fused dot loads two bytes (two
 * f16/bf16 halves' worth, or four nibbles) per access. Undefined where the bytes start at an odd address or the
 * machine is big-endian; the weight is then read through the decoded-rows path instead.
 */
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function u16View(bytes: Uint8Array): Uint16Array | undefined {
  if (!littleEndian || bytes.byteOffset % 2 !== 0 || bytes.length % 2 !== 0) return undefined;
  return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
}

/** Bytes per element of every dtype the safetensors format defines (that we recognise). */
export const SAFETENSORS_ITEM_SIZE = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDType = keyof typeof SAFETENSORS_ITEM_SIZE;

export const FLOAT_DTYPES: ReadonlySet<SafetensorsDType> = new Set(['F16', 'BF16', 'F32', 'F64']);
export const INT_DTYPES: ReadonlySet<SafetensorsDType> = new Set(['BOOL', 'U8', 'I8', 'I16', 'U16', 'I32', 'U32', 'I64', 'U64']);
/** Dtypes this reader converts (to f32 or i32). */
export const READABLE_DTYPES: readonly SafetensorsDType[] = ['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'U16', 'U32', 'U64'];

export function isSafetensorsDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(SAFETENSORS_ITEM_SIZE, s);
}

let halfTable: Uint32Array | undefined;

/** f32 bit pattern of an IEEE half: exact, including subnormals, ±0, ±inf and NaN (payload kept). */
export function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

/** Converts `n` little-endian f16 values starting at `view.byteOffset + offset` into f32. */
export function f16ToF32(view: DataView, offset: number, n: number): Float32Array {
  if (!halfTable) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloatBits(h);
  }
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) bits[i] = halfTable[view.getUint16(offset + 2 * i, true)];
  return new Float32Array(bits.buffer);
}

/** bfloat16 is the top half of an f32: shift into place. */
export function bf16ToF32(view: DataView, offset: number, n: number): Float32Array {
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) bits[i] = view.getUint16(offset + 2 * i, true) << 16;
  return new Float32Array(bits.buffer);
}

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

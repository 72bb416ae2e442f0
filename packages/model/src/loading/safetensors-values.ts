import { DECODERS, f32, i32, InputError, packed, type HostTensor, type WeightTensor } from '@xlora/core';
import { FLOAT_DTYPES, INT_DTYPES, READABLE_DTYPES, SAFETENSORS_ITEM_SIZE } from './safetensors-dtypes.js';
import type { TensorInfo } from './tensor-source.js';

/**
 * Values of one safetensors tensor from exactly its bytes (`bytes.length === info.byteLength`, as read from the
 * file range or viewed in a file held in memory). `file` and `name` name the tensor in every error.
 */

/** Float dtypes widened to f32: F32 as a view when `bytes` is 4-byte aligned (else an aligned copy), F16/BF16/F64 converted. */
export function floatValues(info: TensorInfo, bytes: Uint8Array, file: string, name: string): HostTensor<'f32'> {
  const n = info.byteLength / SAFETENSORS_ITEM_SIZE[info.dtype];
  switch (info.dtype) {
    case 'F32':
      return f32(info.shape, alignedF32(bytes, n));
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(n);
      DECODERS[info.dtype === 'F16' ? 'f16' : 'bf16'](bytes, 0, n, out, 0);
      return f32(info.shape, out);
    }
    case 'F64':
      return f32(info.shape, widenF64(bytes, n));
    default:
      throw notFloat(info, file, name);
  }
}

/**
 * A weight in the format it is stored in: F16 and BF16 as PackedTensors over `bytes` (no widening), F32 as an
 * f32 tensor (a view when aligned). F64 has no storage format of its own: it is narrowed to f32.
 */
export function storedWeight(info: TensorInfo, bytes: Uint8Array, file: string, name: string): WeightTensor {
  if (info.dtype === 'F16' || info.dtype === 'BF16') {
    return packed(info.dtype === 'F16' ? 'f16' : 'bf16', info.shape, bytes, `${file}: tensor ${JSON.stringify(name)}`);
  }
  return floatValues(info, bytes, file, name);
}

/** Integer dtypes as int32 (I64/U64/U32 only when every value fits); floats are an error. */
export function intValues(info: TensorInfo, bytes: Uint8Array, file: string, name: string): HostTensor<'i32'> {
  if (FLOAT_DTYPES.has(info.dtype)) {
    throw new InputError(`${file}: tensor ${JSON.stringify(name)} has dtype ${info.dtype}; an integer tensor was expected`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = info.byteLength / SAFETENSORS_ITEM_SIZE[info.dtype];
  const tooBig = (value: number | bigint, i: number): never => {
    throw new InputError(`${file}: tensor ${JSON.stringify(name)} (${info.dtype}) value ${value} at index ${i} does not fit in int32`);
  };
  const out = new Int32Array(n);
  switch (info.dtype) {
    case 'I32':
      if (bytes.byteOffset % 4 === 0) return i32(info.shape, new Int32Array(bytes.buffer, bytes.byteOffset, n));
      for (let i = 0; i < n; i++) out[i] = v.getInt32(4 * i, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = v.getInt16(2 * i, true);
      break;
    case 'U16':
      for (let i = 0; i < n; i++) out[i] = v.getUint16(2 * i, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = v.getInt8(i);
      break;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = v.getUint8(i);
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = v.getUint8(i) !== 0 ? 1 : 0;
      break;
    case 'U32':
      for (let i = 0; i < n; i++) {
        const x = v.getUint32(4 * i, true);
        if (x > 0x7fffffff) tooBig(x, i);
        out[i] = x;
      }
      break;
    case 'I64':
    case 'U64':
      for (let i = 0; i < n; i++) {
        const lo = v.getUint32(8 * i, true);
        const hi = info.dtype === 'I64' ? v.getInt32(8 * i + 4, true) : v.getUint32(8 * i + 4, true);
        const fits = (hi === 0 && lo <= 0x7fffffff) || (hi === -1 && lo > 0x7fffffff);
        if (!fits) tooBig(info.dtype === 'I64' ? v.getBigInt64(8 * i, true) : v.getBigUint64(8 * i, true), i);
        out[i] = lo | 0;
      }
      break;
    default:
      throw unreadable(info, file, name);
  }
  return i32(info.shape, out);
}

/** f32 for float dtypes, i32 for integer and bool dtypes. */
export function anyValues(info: TensorInfo, bytes: Uint8Array, file: string, name: string): HostTensor {
  return FLOAT_DTYPES.has(info.dtype) ? floatValues(info, bytes, file, name) : intValues(info, bytes, file, name);
}

function alignedF32(bytes: Uint8Array, n: number): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function widenF64(bytes: Uint8Array, n: number): Float32Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = v.getFloat64(8 * i, true);
  return out;
}

function notFloat(info: TensorInfo, file: string, name: string): InputError {
  if (INT_DTYPES.has(info.dtype)) {
    return new InputError(`${file}: tensor ${JSON.stringify(name)} has integer dtype ${info.dtype}; a float tensor (F32, F16, BF16 or F64) was expected`);
  }
  return unreadable(info, file, name);
}

function unreadable(info: TensorInfo, file: string, name: string): InputError {
  return new InputError(`${file}: tensor ${JSON.stringify(name)} has dtype ${info.dtype}, which cannot be read (supported: ${READABLE_DTYPES.join(', ')})`);
}

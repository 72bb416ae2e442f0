import { f32, i32, InputError, type HostTensor } from '@xlora/core';
import {
  bf16ToF32,
  f16ToF32,
  FLOAT_DTYPES,
  INT_DTYPES,
  isSafetensorsDType,
  READABLE_DTYPES,
  SAFETENSORS_ITEM_SIZE,
} from './safetensors-dtypes.js';
import { jsonStructureProblem } from './json-structure.js';
import { missingTensorMessage, type TensorInfo, type TensorSource } from './tensor-source.js';

/** The format's own limit on the JSON header (safetensors MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsFile extends TensorSource {
  /** `__metadata__` of the header (e.g. {"format": "pt"}), {} when absent. */
  readonly metadata: Record<string, string>;
}

interface Entry extends TensorInfo {
  /** Absolute byte offset of the tensor data in `bytes`. */
  start: number;
}

/**
 * Parses a .safetensors file held in memory (format: u64 little-endian header length, JSON header, data).
 * Validates the whole header up front; tensor data is converted on `get*`. F32/I32 tensors whose data is 4-byte
 * aligned are views into `bytes` (no copy): do not modify them. `file` names the file in every error.
 */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  if (bytes.length < 8) throw new InputError(`${file}: not a safetensors file: ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const headerLen = hi * 2 ** 32 + lo;
  if (headerLen > MAX_HEADER_BYTES) {
    throw new InputError(`${file}: not a safetensors file: header length ${headerLen} is absurd (limit ${MAX_HEADER_BYTES} bytes)`);
  }
  if (headerLen > bytes.length - 8) {
    throw new InputError(`${file}: truncated or not a safetensors file: header length ${headerLen} is beyond the end of the file (${bytes.length} bytes)`);
  }
  const header = parseHeaderJson(bytes.subarray(8, 8 + headerLen), file);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;

  let metadata: Record<string, string> = {};
  const entries = new Map<string, Entry>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(raw, file);
      continue;
    }
    const e = parseEntry(name, raw, file, dataLen);
    entries.set(name, { ...e, start: dataStart + e.begin });
  }
  checkCoverage(entries, dataStart, dataLen, headerLen, file);
  return new SafetensorsReader(file, metadata, entries, view);
}

function parseHeaderJson(headerBytes: Uint8Array, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new InputError(`${file}: safetensors header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) {
    throw new InputError(`${file}: safetensors header must start with "{", got ${JSON.stringify(text.slice(0, 8))} (wrong header length or not a safetensors file)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: safetensors header is not valid JSON (${(err as Error).message})`);
  }
  const problem = jsonStructureProblem(text);
  if (problem !== null) throw new InputError(`${file}: safetensors header: ${problem}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError(`${file}: safetensors header must be a JSON object, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}`);
  }
  return json as Record<string, unknown>;
}

function parseMetadata(raw: unknown, file: string): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
    throw new InputError(`${file}: safetensors "__metadata__" must be an object of strings`);
  }
  return { ...(raw as Record<string, string>) };
}

function parseEntry(name: string, raw: unknown, file: string, dataLen: number): TensorInfo & { begin: number } {
  const where = `${file}: tensor ${JSON.stringify(name)}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError(`${where}: header entry must be an object with dtype, shape and data_offsets`);
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isSafetensorsDType(dtype)) {
    throw new InputError(`${where} has unknown dtype ${JSON.stringify(dtype) ?? 'undefined'} (supported: ${READABLE_DTYPES.join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InputError(`${where}: shape must be an array of non-negative integers, got ${short(shape)}`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new InputError(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${short(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLen) {
    throw new InputError(`${where}: data_offsets [${begin}, ${end}] are out of range (the data section has ${dataLen} bytes)`);
  }
  let numel = 1;
  for (const d of shape as number[]) numel *= d;
  const need = numel * SAFETENSORS_ITEM_SIZE[dtype];
  if (need !== end - begin) {
    throw new InputError(
      `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but dtype ${dtype} and shape [${(shape as number[]).join(', ')}] need ${need}`,
    );
  }
  return { dtype, shape: [...(shape as number[])], byteLength: end - begin, begin };
}

/**
 * The reference reader's rule (huggingface/safetensors `Metadata::validate` and `read_metadata`): sorted by
 * offsets, the tensors cover the data section exactly, without gaps, overlaps or trailing bytes.
 */
function checkCoverage(entries: Map<string, Entry>, dataStart: number, dataLen: number, headerLen: number, file: string): void {
  const sorted = [...entries].sort((a, b) => a[1].start - b[1].start || a[1].byteLength - b[1].byteLength);
  const range = (e: Entry) => `[${e.start - dataStart}, ${e.start - dataStart + e.byteLength}]`;
  let end = 0;
  let prev: [string, Entry] | undefined;
  for (const cur of sorted) {
    const [name, e] = cur;
    const begin = e.start - dataStart;
    if (begin < end) throw new InputError(`${file}: tensors ${JSON.stringify(prev![0])} ${range(prev![1])} and ${JSON.stringify(name)} ${range(e)} overlap`);
    if (begin > end) {
      const after = prev ? `where ${JSON.stringify(prev[0])} ends` : 'the start of the data section';
      throw new InputError(`${file}: tensor ${JSON.stringify(name)} starts at byte ${begin} of the data section, expected ${end} (${after}): ${begin - end} unused byte(s) between tensors`);
    }
    end = begin + e.byteLength;
    prev = cur;
  }
  if (end !== dataLen) {
    throw new InputError(
      `${file}: the tensors end at byte ${end} of the data section but it has ${dataLen} bytes: ${dataLen - end} trailing byte(s) ` +
        `(the file is not what its header describes; header length ${headerLen} may be wrong)`,
    );
  }
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v); // header values are nested at most MAX_JSON_DEPTH deep
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

class SafetensorsReader implements SafetensorsFile {
  constructor(
    readonly file: string,
    readonly metadata: Record<string, string>,
    private readonly entries: Map<string, Entry>,
    private readonly view: DataView,
  ) {}

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  info(name: string): TensorInfo {
    const e = this.entry(name);
    return { dtype: e.dtype, shape: [...e.shape], byteLength: e.byteLength };
  }

  get(name: string): HostTensor {
    return FLOAT_DTYPES.has(this.entry(name).dtype) ? this.getF32(name) : this.getI32(name);
  }

  getF32(name: string): HostTensor<'f32'> {
    const e = this.entry(name);
    const n = e.byteLength / SAFETENSORS_ITEM_SIZE[e.dtype];
    const v = this.view;
    switch (e.dtype) {
      case 'F32':
        if ((v.byteOffset + e.start) % 4 === 0) return f32(e.shape, new Float32Array(v.buffer, v.byteOffset + e.start, n));
        return f32(e.shape, new Float32Array(copy(v, e.start, e.byteLength)));
      case 'F16':
        return f32(e.shape, f16ToF32(v, e.start, n));
      case 'BF16':
        return f32(e.shape, bf16ToF32(v, e.start, n));
      case 'F64': {
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = v.getFloat64(e.start + 8 * i, true);
        return f32(e.shape, out);
      }
      default:
        if (INT_DTYPES.has(e.dtype)) {
          throw new InputError(`${this.file}: tensor ${JSON.stringify(name)} has integer dtype ${e.dtype}; a float tensor (F32, F16, BF16 or F64) was expected`);
        }
        throw this.unreadable(name, e);
    }
  }

  getI32(name: string): HostTensor<'i32'> {
    const e = this.entry(name);
    if (FLOAT_DTYPES.has(e.dtype)) {
      throw new InputError(`${this.file}: tensor ${JSON.stringify(name)} has dtype ${e.dtype}; an integer tensor was expected`);
    }
    return i32(e.shape, this.readInts(name, e));
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new InputError(missingTensorMessage(this.file, name, this.names()));
    return e;
  }

  private unreadable(name: string, e: Entry): InputError {
    return new InputError(`${this.file}: tensor ${JSON.stringify(name)} has dtype ${e.dtype}, which cannot be read (supported: ${READABLE_DTYPES.join(', ')})`);
  }

  /** Integer tensor values, checking that every value fits in int32. */
  private readInts(name: string, e: Entry): Int32Array {
    const v = this.view;
    const n = e.byteLength / SAFETENSORS_ITEM_SIZE[e.dtype];
    const at = e.start;
    const tooBig = (value: number | bigint, i: number): never => {
      throw new InputError(`${this.file}: tensor ${JSON.stringify(name)} (${e.dtype}) value ${value} at index ${i} does not fit in int32`);
    };
    switch (e.dtype) {
      case 'I32': {
        if ((v.byteOffset + at) % 4 === 0) return new Int32Array(v.buffer, v.byteOffset + at, n);
        return new Int32Array(copy(v, at, e.byteLength));
      }
      case 'I16':
      case 'U16':
      case 'I8':
      case 'U8':
      case 'BOOL': {
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          out[i] =
            e.dtype === 'I16' ? v.getInt16(at + 2 * i, true)
            : e.dtype === 'U16' ? v.getUint16(at + 2 * i, true)
            : e.dtype === 'I8' ? v.getInt8(at + i)
            : e.dtype === 'BOOL' ? (v.getUint8(at + i) !== 0 ? 1 : 0)
            : v.getUint8(at + i);
        }
        return out;
      }
      case 'U32': {
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const x = v.getUint32(at + 4 * i, true);
          if (x > 0x7fffffff) tooBig(x, i);
          out[i] = x;
        }
        return out;
      }
      case 'I64':
      case 'U64': {
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const lo = v.getUint32(at + 8 * i, true);
          const hi = e.dtype === 'I64' ? v.getInt32(at + 8 * i + 4, true) : v.getUint32(at + 8 * i + 4, true);
          const fits = (hi === 0 && lo <= 0x7fffffff) || (hi === -1 && lo > 0x7fffffff);
          if (!fits) {
            tooBig(e.dtype === 'I64' ? v.getBigInt64(at + 8 * i, true) : v.getBigUint64(at + 8 * i, true), i);
          }
          out[i] = lo | 0;
        }
        return out;
      }
      default:
        throw this.unreadable(name, e);
    }
  }
}

function copy(v: DataView, start: number, length: number): ArrayBuffer {
  const out = new Uint8Array(length);
  out.set(new Uint8Array(v.buffer, v.byteOffset + start, length));
  return out.buffer;
}

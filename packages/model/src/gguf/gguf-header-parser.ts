import { FORMAT_LAYOUT, formatByteLength, formatShape } from '@xlora/core';
import { GgufError } from './gguf-error.js';
import { GGUF_LIMITS } from './gguf-limits.js';
import {
  GGML_TYPE_FORMAT, GGML_TYPE_NAMES, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VALUE_MIN_BYTES, GGUF_VALUE_TYPES,
  type GgufArrayValue, type GgufKv, type GgufTensorInfo, type GgufValueType,
} from './gguf-types.js';

/** Everything before the tensor data. */
export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufKv>;
  /** in file order */
  tensors: GgufTensorInfo[];
  alignment: number;
  /** absolute offset of the tensor data section */
  dataOffset: number;
}

/** Thrown when `bytes` is a prefix of the file that ends before the header does: read `needed` bytes and retry. */
export class NeedMoreBytes extends Error {
  constructor(readonly needed: number) {
    super(`need ${needed} bytes`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const TWO_32 = 2 ** 32;

/**
 * Parses a GGUF header from `bytes`, the first bytes of a file of `fileSize` bytes (the whole file or a prefix).
 * Throws NeedMoreBytes when the prefix is too short, GgufError for a malformed file.
 */
export function parseGgufHeader(bytes: Uint8Array, fileSize: number, file: string): GgufHeader {
  return new HeaderParser(bytes, fileSize, file).parse();
}

class HeaderParser {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array, private readonly fileSize: number, private readonly file: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  parse(): GgufHeader {
    const { file } = this;
    this.need(4, 'magic');
    const magic = this.view.getUint32(0, true);
    if (magic !== GGUF_MAGIC) {
      const shown = [...this.bytes.subarray(0, 4)].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
      throw new GgufError('bad-magic', `${file}: not a GGUF file: it starts with "${shown}", expected "GGUF"`);
    }
    this.pos = 4;
    const version = this.u32('version');
    if (version !== 2 && version !== 3) {
      const swapped = ((version & 0xff) << 24) | ((version >>> 8 & 0xff) << 16) | ((version >>> 16 & 0xff) << 8) | (version >>> 24);
      if (swapped === 2 || swapped === 3) throw new GgufError('unsupported-version', `${file}: big-endian GGUF files are not supported`);
      throw new GgufError('unsupported-version', `${file}: GGUF version ${version} is not supported (supported: 2, 3)`);
    }
    const tensorCount = this.count('tensor count', GGUF_LIMITS.maxTensors, 8 + 4 + 8 + 4 + 8);
    const kvCount = this.count('metadata key/value count', GGUF_LIMITS.maxKvs, 8 + 4 + 1);

    const metadata = new Map<string, GgufKv>();
    for (let i = 0; i < kvCount; i++) {
      const at = this.pos;
      const key = this.string(`metadata key ${i}`);
      if (metadata.has(key)) throw new GgufError('duplicate-name', `${file}: metadata key ${JSON.stringify(key)} appears twice (offset ${at})`);
      const type = this.valueType(`metadata ${JSON.stringify(key)}`);
      metadata.set(key, this.value(type, `metadata ${JSON.stringify(key)}`, 0));
    }
    const alignment = this.alignment(metadata.get('general.alignment'));

    const tensors: GgufTensorInfo[] = [];
    const relative: number[] = [];
    const names = new Set<string>();
    for (let i = 0; i < tensorCount; i++) {
      const name = this.string(`tensor ${i} name`);
      if (names.has(name)) throw new GgufError('duplicate-name', `${file}: tensor ${JSON.stringify(name)} appears twice`);
      names.add(name);
      const what = `tensor ${JSON.stringify(name)}`;
      const nDims = this.u32(`${what} dimension count`);
      if (nDims < 1 || nDims > GGUF_LIMITS.maxDims) {
        throw new GgufError('bad-shape', `${file}: ${what} has ${nDims} dimensions, expected 1 to ${GGUF_LIMITS.maxDims}`);
      }
      const ne: number[] = [];
      for (let d = 0; d < nDims; d++) ne.push(this.u64(`${what} dimension ${d}`));
      const typeId = this.u32(`${what} type`);
      const format = GGML_TYPE_FORMAT[typeId];
      if (format === undefined) {
        const known = GGML_TYPE_NAMES[typeId];
        const supported = 'F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K';
        if (known === undefined) throw new GgufError('unknown-ggml-type', `${file}: ${what} has unknown ggml type id ${typeId} (supported: ${supported})`);
        throw new GgufError('unsupported-ggml-type', `${file}: ${what} is stored as ${known}, which is not supported (supported: ${supported})`);
      }
      const shape = [...ne].reverse();
      let elems = 1;
      for (const n of ne) elems *= n;
      if (!Number.isSafeInteger(elems)) throw new GgufError('bad-shape', `${file}: ${what} has absurd dimensions ${formatShape(shape)}`);
      const byteLength = formatByteLength(format, shape);
      if (byteLength === null) {
        throw new GgufError('bad-shape', `${file}: ${what} has rows of ${ne[0]} values, not a multiple of the ${format} block (${FORMAT_LAYOUT[format].blockElems})`);
      }
      const offset = this.u64(`${what} offset`);
      if (offset % alignment !== 0) throw new GgufError('misaligned', `${file}: ${what} data offset ${offset} is not a multiple of the alignment ${alignment}`);
      relative.push(offset);
      tensors.push({ name, ne, shape, format, byteLength, fileOffset: 0 });
    }
    const dataOffset = Math.ceil(this.pos / alignment) * alignment;
    for (let i = 0; i < tensors.length; i++) tensors[i].fileOffset = dataOffset + relative[i];
    this.checkRanges(tensors);
    return { version, metadata, tensors, alignment, dataOffset };
  }

  private checkRanges(tensors: GgufTensorInfo[]): void {
    const { file, fileSize } = this;
    const byOffset = [...tensors].sort((a, b) => a.fileOffset - b.fileOffset);
    let prev: GgufTensorInfo | null = null;
    for (const t of byOffset) {
      const end = t.fileOffset + t.byteLength;
      const what = `tensor ${JSON.stringify(t.name)} (bytes ${t.fileOffset}..${end})`;
      if (t.fileOffset >= fileSize && t.byteLength > 0) {
        throw new GgufError('tensor-out-of-range', `${file}: ${what} starts past the end of the file (${fileSize} bytes)`);
      }
      if (end > fileSize) throw new GgufError('truncated', `${file}: ${what} is cut off: the file ends at byte ${fileSize}`);
      if (prev && t.fileOffset < prev.fileOffset + prev.byteLength && t.byteLength > 0) {
        throw new GgufError('tensor-overlap', `${file}: ${what} overlaps tensor ${JSON.stringify(prev.name)} (bytes ${prev.fileOffset}..${prev.fileOffset + prev.byteLength})`);
      }
      if (t.byteLength > 0) prev = t;
    }
  }

  private alignment(kv: GgufKv | undefined): number {
    if (kv === undefined) return GGUF_DEFAULT_ALIGNMENT;
    const v = kv.value;
    if (kv.type !== 'u32' || typeof v !== 'number' || v === 0 || (v & (v - 1)) !== 0) {
      throw new GgufError('bad-value', `${this.file}: metadata "general.alignment" must be a u32 power of two, got ${kv.type} ${String(v)}`);
    }
    return v;
  }

  /** Makes sure n more bytes are there: NeedMoreBytes for a prefix, 'truncated' at the end of the file. */
  private need(n: number, what: string): void {
    const end = this.pos + n;
    if (end <= this.bytes.length) return;
    if (end > this.fileSize) {
      throw new GgufError('truncated', `${this.file}: truncated: ${what} needs ${n} bytes at offset ${this.pos}, but the file has ${this.fileSize} bytes`);
    }
    if (end > GGUF_LIMITS.maxHeaderBytes) {
      throw new GgufError('absurd-count', `${this.file}: the GGUF header (metadata and tensor list) is over ${GGUF_LIMITS.maxHeaderBytes} bytes at ${what}`);
    }
    throw new NeedMoreBytes(end);
  }

  /** A count whose entries take at least `minBytes` each: capped, and bounded by the rest of the file. */
  private count(what: string, cap: number, minBytes: number): number {
    const n = this.u64(what);
    if (n > cap) throw new GgufError('absurd-count', `${this.file}: ${what} ${n} is absurd (at most ${cap})`);
    const left = this.fileSize - this.pos;
    if (n * minBytes > left) {
      throw new GgufError('absurd-count', `${this.file}: ${what} ${n} cannot fit: ${n} entries need at least ${n * minBytes} bytes, the file has ${left} left`);
    }
    return n;
  }

  private u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u64 as a number; values over Number.MAX_SAFE_INTEGER are an error. */
  private u64(what: string): number {
    this.need(8, what);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    if (hi > 0x1fffff) throw new GgufError('absurd-count', `${this.file}: ${what} is ${(BigInt(hi) << 32n) | BigInt(lo)}, over 2^53`);
    return hi * TWO_32 + lo;
  }

  private string(what: string): string {
    const len = this.u64(`${what} length`);
    if (len > GGUF_LIMITS.maxStringBytes) throw new GgufError('absurd-count', `${this.file}: ${what} length ${len} is absurd (at most ${GGUF_LIMITS.maxStringBytes} bytes)`);
    this.need(len, what);
    const raw = this.bytes.subarray(this.pos, this.pos + len);
    this.pos += len;
    try {
      return utf8.decode(raw);
    } catch (err) {
      throw new GgufError('bad-value', `${this.file}: ${what} is not valid UTF-8 (offset ${this.pos - len})`, { cause: err });
    }
  }

  private valueType(what: string): GgufValueType {
    const id = this.u32(`${what} type`);
    const type = GGUF_VALUE_TYPES[id];
    if (type === undefined) throw new GgufError('unknown-value-type', `${this.file}: ${what} has unknown value type ${id} (known: 0..${GGUF_VALUE_TYPES.length - 1})`);
    return type;
  }

  private value(type: GgufValueType, what: string, depth: number): GgufKv {
    const v = this.view;
    switch (type) {
      case 'string':
        return { type, value: this.string(what) };
      case 'array':
        return this.array(what, depth);
      case 'bool': {
        this.need(1, what);
        const b = this.bytes[this.pos++];
        if (b > 1) throw new GgufError('bad-value', `${this.file}: ${what} is a bool with byte value ${b}, expected 0 or 1`);
        return { type, value: b === 1 };
      }
      case 'u64':
      case 'i64': {
        this.need(8, what);
        const big = type === 'u64' ? v.getBigUint64(this.pos, true) : v.getBigInt64(this.pos, true);
        this.pos += 8;
        const small = Number(big);
        return { type, value: Number.isSafeInteger(small) ? small : big };
      }
      default: {
        const size = GGUF_VALUE_MIN_BYTES[type];
        this.need(size, what);
        const at = this.pos;
        this.pos += size;
        const read = { u8: () => v.getUint8(at), i8: () => v.getInt8(at), u16: () => v.getUint16(at, true), i16: () => v.getInt16(at, true),
          u32: () => v.getUint32(at, true), i32: () => v.getInt32(at, true), f32: () => v.getFloat32(at, true), f64: () => v.getFloat64(at, true) }[type];
        return { type, value: read() };
      }
    }
  }

  private array(what: string, depth: number): GgufKv {
    if (depth >= GGUF_LIMITS.maxArrayDepth) throw new GgufError('absurd-count', `${this.file}: ${what} nests arrays deeper than ${GGUF_LIMITS.maxArrayDepth}`);
    const itemType = this.valueType(`${what} item`);
    const n = this.count(`${what} array length`, GGUF_LIMITS.maxArrayLength, GGUF_VALUE_MIN_BYTES[itemType]);
    let value: GgufArrayValue;
    if (itemType === 'string') {
      const items: string[] = new Array(n);
      for (let i = 0; i < n; i++) items[i] = this.string(`${what}[${i}]`);
      value = items;
    } else if (itemType === 'array') {
      const items: GgufKv[] = [];
      for (let i = 0; i < n; i++) items.push(this.array(`${what}[${i}]`, depth + 1));
      value = items;
    } else if (itemType === 'bool') {
      const items: boolean[] = new Array(n);
      for (let i = 0; i < n; i++) items[i] = (this.value('bool', `${what}[${i}]`, depth) as { value: boolean }).value;
      value = items;
    } else {
      const size = GGUF_VALUE_MIN_BYTES[itemType];
      this.need(n * size, what);
      const copy = this.bytes.slice(this.pos, this.pos + n * size).buffer;
      this.pos += n * size;
      const Ctor = { u8: Uint8Array, i8: Int8Array, u16: Uint16Array, i16: Int16Array, u32: Uint32Array, i32: Int32Array,
        f32: Float32Array, f64: Float64Array, u64: BigUint64Array, i64: BigInt64Array }[itemType];
      value = new Ctor(copy);
    }
    return { type: 'array', itemType, value };
  }
}

import { formatByteLength, formatShape, InputError, isPacked, type WeightFormat, type WeightTensor } from '@xlora/core';
import { GGML_TYPE_OF, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VALUE_TYPES, type GgufKv, type GgufValueType } from './gguf-types.js';

/** One tensor to write: its name, shape in PyTorch order ([out, in]), format, and its bytes when its turn comes. */
export interface GgufTensorEntry {
  name: string;
  shape: readonly number[];
  format: WeightFormat;
  /** called once, in file order, just before the tensor is written (so only one tensor need be in memory) */
  data: () => Uint8Array | Promise<Uint8Array>;
}

/** Where the file goes: bytes in order. */
export interface GgufSink {
  write(bytes: Uint8Array): void | Promise<void>;
}

/** The little-endian bytes of a weight as GGUF stores it (f32 values, or the packed blocks as they are). */
export function weightBytes(t: WeightTensor): Uint8Array {
  if (isPacked(t)) return t.bytes;
  if (t.dtype !== 'f32') throw new InputError(`GGUF writer: an ${t.dtype} tensor cannot be written as a weight`);
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/**
 * Writes a GGUF v3 file: header, metadata, tensor infos (ggml order: ne[0] = the row length), then each tensor's
 * data at an offset aligned to general.alignment (32 unless the metadata says otherwise). Returns the byte count.
 */
export async function writeGguf(sink: GgufSink, metadata: Iterable<[string, GgufKv]>, tensors: readonly GgufTensorEntry[]): Promise<number> {
  const kvs = [...metadata];
  const alignKv = kvs.find(([k]) => k === 'general.alignment')?.[1];
  const alignment = alignKv && typeof alignKv.value === 'number' ? alignKv.value : GGUF_DEFAULT_ALIGNMENT;
  const sizes = tensors.map((t) => {
    const n = formatByteLength(t.format, t.shape);
    if (n === null) throw new InputError(`GGUF writer: tensor ${JSON.stringify(t.name)} of shape ${formatShape(t.shape)} cannot be stored as ${t.format}`);
    return n;
  });
  const offsets: number[] = [];
  let at = 0;
  for (const n of sizes) {
    offsets.push(at);
    at = alignUp(at + n, alignment);
  }

  const b = new ByteBuilder();
  b.u32(GGUF_MAGIC);
  b.u32(3);
  b.u64(tensors.length);
  b.u64(kvs.length);
  for (const [key, kv] of kvs) {
    b.string(key);
    b.u32(GGUF_VALUE_TYPES.indexOf(kv.type));
    writeValue(b, kv);
  }
  tensors.forEach((t, i) => {
    b.string(t.name);
    b.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) b.u64(t.shape[d]);
    b.u32(GGML_TYPE_OF[t.format]);
    b.u64(offsets[i]);
  });
  b.pad(alignUp(b.length, alignment) - b.length);
  await sink.write(b.bytes());
  let written = b.length;

  for (let i = 0; i < tensors.length; i++) {
    const data = await tensors[i].data();
    if (data.length !== sizes[i]) {
      throw new InputError(`GGUF writer: tensor ${JSON.stringify(tensors[i].name)} has ${data.length} bytes, its ${tensors[i].format} shape needs ${sizes[i]}`);
    }
    await sink.write(data);
    const pad = (i + 1 < tensors.length ? offsets[i + 1] : alignUp(offsets[i] + sizes[i], alignment)) - offsets[i] - sizes[i];
    if (pad > 0) await sink.write(new Uint8Array(pad));
    written += sizes[i] + pad;
  }
  return written;
}

/** A sink that keeps the file in memory (tests, small files). */
export function memorySink(): GgufSink & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    write: (bytes) => void chunks.push(bytes.slice()),
    bytes() {
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    },
  };
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

function writeValue(b: ByteBuilder, kv: GgufKv): void {
  if (kv.type === 'array') {
    b.u32(GGUF_VALUE_TYPES.indexOf(kv.itemType));
    const items = kv.value;
    b.u64(items.length);
    if (kv.itemType === 'string' || kv.itemType === 'bool' || kv.itemType === 'array') {
      for (const item of items as Iterable<unknown>) {
        const one = (kv.itemType === 'array' ? item : { type: kv.itemType, value: item }) as GgufKv;
        writeValue(b, one);
      }
    } else {
      for (let i = 0; i < items.length; i++) writeScalar(b, kv.itemType, (items as ArrayLike<number | bigint>)[i]);
    }
    return;
  }
  writeScalar(b, kv.type, kv.value);
}

function writeScalar(b: ByteBuilder, type: GgufValueType, v: unknown): void {
  const view = b.reserve(type === 'string' ? 0 : SCALAR_BYTES[type]);
  const at = b.length - (type === 'string' ? 0 : SCALAR_BYTES[type]);
  switch (type) {
    case 'u8': view.setUint8(at, v as number); break;
    case 'i8': view.setInt8(at, v as number); break;
    case 'u16': view.setUint16(at, v as number, true); break;
    case 'i16': view.setInt16(at, v as number, true); break;
    case 'u32': view.setUint32(at, v as number, true); break;
    case 'i32': view.setInt32(at, v as number, true); break;
    case 'f32': view.setFloat32(at, v as number, true); break;
    case 'f64': view.setFloat64(at, v as number, true); break;
    case 'bool': view.setUint8(at, v ? 1 : 0); break;
    case 'u64': view.setBigUint64(at, BigInt(v as number | bigint), true); break;
    case 'i64': view.setBigInt64(at, BigInt(v as number | bigint), true); break;
    case 'string': b.string(v as string); break;
    default: throw new InputError(`GGUF writer: cannot write a value of type ${type} here`);
  }
}

const SCALAR_BYTES: Record<GgufValueType, number> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, string: 0, array: 0, u64: 8, i64: 8, f64: 8 };

/** A growable little-endian byte buffer. */
class ByteBuilder {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  /** Grows by n bytes (at the end) and returns the view to fill them. */
  reserve(n: number): DataView {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length += n;
    return this.view;
  }

  u32(v: number): void {
    this.reserve(4).setUint32(this.length - 4, v, true);
  }

  u64(v: number): void {
    this.reserve(8).setBigUint64(this.length - 8, BigInt(v), true);
  }

  string(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.u64(bytes.length);
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length - bytes.length);
  }

  pad(n: number): void {
    this.reserve(n); // a fresh buffer is zero-filled, and nothing was written past length
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

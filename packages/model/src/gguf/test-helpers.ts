// Test-only helpers (the build excludes this file): GGUF bytes composed field by field from the format's
// definition, independently of gguf-writer.ts, and in-memory sources that record what was read.
import type { FileSource } from '../loading/file-source.js';
import { mapFileSource } from '../loading/map-file-source.js';

/** Little-endian bytes, one field at a time. */
export class RawBytes {
  private parts: number[] = [];

  get length(): number {
    return this.parts.length;
  }

  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }

  u32(v: number): this {
    for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 0xff);
    return this;
  }

  u64(v: number | bigint): this {
    const big = BigInt(v);
    for (let i = 0n; i < 8n; i++) this.parts.push(Number((big >> (8n * i)) & 0xffn));
    return this;
  }

  f32(v: number): this {
    return this.raw(new Uint8Array(new Float32Array([v]).buffer));
  }

  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u64(b.length).raw(b);
  }

  raw(b: Uint8Array | readonly number[]): this {
    for (const x of b) this.parts.push(x);
    return this;
  }

  /** zero bytes up to a multiple of n */
  align(n: number): this {
    while (this.parts.length % n !== 0) this.parts.push(0);
    return this;
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.parts);
  }
}

/** The header fields of a GGUF v3 file: magic, version, tensor count, kv count. */
export function rawHeader(tensorCount: number | bigint, kvCount: number | bigint, version = 3): RawBytes {
  return new RawBytes().raw(new TextEncoder().encode('GGUF')).u32(version).u64(tensorCount).u64(kvCount);
}

/** A source over one in-memory file that counts whole-file reads and records byte ranges. */
export function recordingSource(path: string, bytes: Uint8Array): FileSource & { ranges: [number, number][]; wholeReads: number } {
  const inner = mapFileSource({ [path]: bytes });
  const ranges: [number, number][] = [];
  const rec = {
    ranges,
    wholeReads: 0,
    describe: inner.describe,
    exists: inner.exists,
    size: inner.size,
    read: async (p: string) => {
      rec.wholeReads++;
      return inner.read(p);
    },
    readRange: async (p: string, start: number, end: number) => {
      ranges.push([start, end]);
      return inner.readRange!(p, start, end);
    },
  };
  return rec;
}

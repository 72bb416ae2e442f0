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

/**
 * A small SentencePiece-style vocabulary in transformers' Llama tokenizer.json layout (legacy normalizer
 * Prepend "▁" + Replace " " -> "▁", BPE with byte fallback, BOS added): <unk> <s> </s>, the 256 byte pieces
 * <0x00>..<0xFF> (ids 3..258), single characters, and the pieces of 12 merges ("t h" ranks after "h e", so merge order matters in "other").
 */
export function spmTokenizerFiles(): { json: Record<string, unknown>; cfg: Record<string, unknown> } {
  const S = '\u2581';
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  const pieces = [S, 't', 'h', 'e', 'a', 'n', 'd', 'o', 'r', 'c', `${S}t`, 'he', `${S}the`, 'an', `${S}an`, `${S}and`, 'or', `${S}or`, 'at', `${S}c`, `${S}cat`, 'th'];
  pieces.forEach((p, i) => (vocab[p] = 259 + i));
  const merges = [`${S} t`, 'h e', `${S}t he`, 'a n', `${S} an`, `${S}an d`, 'o r', `${S} or`, 'a t', `${S} c`, `${S}c at`, 't h'];
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const json = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [special(0, '<unk>'), special(1, '<s>'), special(2, '</s>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: S }, { type: 'Replace', pattern: { String: ' ' }, content: S }] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: S }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
  const cfg = { add_bos_token: true, add_eos_token: false, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', chat_template: '{% for m in messages %}{{ m.content }}{% endfor %}' };
  return { json, cfg };
}

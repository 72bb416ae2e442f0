import { dequantize, f32, isPacked, packed, quantize, type HostTensor, type PackedTensor } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { openGguf } from './gguf-file.js';
import type { GgufKv } from './gguf-types.js';
import { memorySink, weightBytes, writeGguf, type GgufTensorEntry } from './gguf-writer.js';
import { rawHeader, recordingSource } from './test-helpers.js';

describe('GGUF reader on bytes composed from the format definition', () => {
  // two tensors (F32 [2,4] as ne [4,2]; Q8_0 [32]) and three key/values, data aligned to 32
  const a = [1, 2, 3, 4, -1, -2, -3, -4.5];
  const qs = Array.from({ length: 32 }, (_, i) => i - 16);
  const head = rawHeader(2, 3)
    .str('general.architecture').u32(8).str('llama')
    .str('test.big').u32(10).u64(2n ** 40n + 5n)
    .str('test.scores').u32(9).u32(6).u64(2).f32(1.5).f32(-2)
    .str('a').u32(2).u64(4).u64(2).u32(0).u64(0)
    .str('b').u32(1).u64(32).u32(8).u64(32)
    .align(32);
  const dataOffset = head.length;
  const file = head.raw(new Uint8Array(new Float32Array(a).buffer)).u8(0x00).u8(0x3c).raw(qs.map((q) => q & 0xff)).bytes();

  it('reads header, metadata and tensor infos, and each tensor from its own byte range', async () => {
    const src = recordingSource('m.gguf', file);
    const g = await openGguf(src, 'm.gguf');
    expect(g.version).toBe(3);
    expect(g.dataOffset).toBe(dataOffset);
    expect(g.metadata.get('general.architecture')).toEqual({ type: 'string', value: 'llama' });
    expect(g.metadata.get('test.big')).toEqual({ type: 'u64', value: 2 ** 40 + 5 });
    const scores = g.metadata.get('test.scores') as Extract<GgufKv, { type: 'array' }>;
    expect(scores.itemType).toBe('f32');
    expect([...(scores.value as Float32Array)]).toEqual([1.5, -2]);
    expect(g.tensors.map((t) => [t.name, t.shape, t.ne, t.format, t.fileOffset, t.byteLength])).toEqual([
      ['a', [2, 4], [4, 2], 'f32', dataOffset, 32],
      ['b', [32], [32], 'q8_0', dataOffset + 32, 34],
    ]);
    const ta = (await g.readTensor('a')) as HostTensor<'f32'>;
    expect(ta.shape).toEqual([2, 4]);
    expect([...ta.data]).toEqual(a);
    const tb = (await g.readTensor('b')) as PackedTensor;
    expect(isPacked(tb) && tb.format).toBe('q8_0');
    expect([...dequantize(tb).data]).toEqual(qs); // d = 1.0 (f16 0x3c00)
    expect(src.wholeReads).toBe(0);
    expect(src.ranges.slice(-2)).toEqual([[dataOffset, dataOffset + 32], [dataOffset + 32, dataOffset + 66]]);
  });
});

describe('GGUF writer -> reader round trip', () => {
  const rand = (n: number, seed: number) => {
    let s = seed;
    return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
  };
  const randomBytes = (n: number, seed: number) => Uint8Array.from(rand(n, seed), (x) => Math.floor((x + 1) * 127.5));
  const w = f32([3, 64], rand(192, 1));
  const tensors: Record<string, HostTensor<'f32'> | PackedTensor> = {
    'f32.weight': w,
    'norm.weight': f32([64], rand(64, 2)),
    'f16.weight': quantize(w, 'f16'),
    'bf16.weight': quantize(w, 'bf16'),
    'q8.weight': quantize(w, 'q8_0'),
    'q4.weight': quantize(w, 'q4_0'),
    // k-quant blocks are opaque to the container: any bytes of the right length round-trip
    'q4k.weight': packed('q4_k', [2, 256], randomBytes(2 * 144, 3)),
    'q6k.weight': packed('q6_k', [1, 2, 256], randomBytes(2 * 210, 4)),
  };
  const metadata: [string, GgufKv][] = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['k.u8', { type: 'u8', value: 200 }], ['k.i8', { type: 'i8', value: -100 }],
    ['k.u16', { type: 'u16', value: 60000 }], ['k.i16', { type: 'i16', value: -30000 }],
    ['k.u32', { type: 'u32', value: 4e9 }], ['k.i32', { type: 'i32', value: -2e9 }],
    ['k.f32', { type: 'f32', value: 0.5 }], ['k.f64', { type: 'f64', value: Math.PI }],
    ['k.bool', { type: 'bool', value: true }], ['k.u64', { type: 'u64', value: 2n ** 63n }], ['k.i64', { type: 'i64', value: -(2 ** 40) }],
    ['k.strings', { type: 'array', itemType: 'string', value: ['', 'ĠĊ', '▁the', '日本'] }],
    ['k.i32s', { type: 'array', itemType: 'i32', value: Int32Array.from([1, -2, 3]) }],
    ['k.bools', { type: 'array', itemType: 'bool', value: [true, false] }],
    ['k.nested', { type: 'array', itemType: 'array', value: [{ type: 'array', itemType: 'u8', value: Uint8Array.from([7, 8]) }] }],
  ];

  it('gives back every metadata value and every tensor, byte for byte, at aligned offsets', async () => {
    const sink = memorySink();
    const entries: GgufTensorEntry[] = Object.entries(tensors).map(([name, t]) => ({
      name, shape: t.shape, format: isPacked(t) ? t.format : 'f32', data: () => weightBytes(t),
    }));
    const size = await writeGguf(sink, metadata, entries);
    const bytes = sink.bytes();
    expect(bytes.length).toBe(size);
    const g = await openGguf(recordingSource('x.gguf', bytes), 'x.gguf');
    expect([...g.metadata.keys()]).toEqual(metadata.map(([k]) => k));
    for (const [k, kv] of metadata) {
      const got = g.metadata.get(k)!;
      const plain = (v: unknown) => (ArrayBuffer.isView(v) ? [...(v as Int32Array)] : v);
      expect({ ...got, value: plain(got.value) }).toEqual({ ...kv, value: plain(kv.value) });
    }
    for (const [name, t] of Object.entries(tensors)) {
      const info = g.tensor(name)!;
      expect(info.fileOffset % 32).toBe(0);
      expect(info.ne).toEqual([...t.shape].reverse());
      const got = await g.readTensor(name);
      expect(got.shape).toEqual(t.shape);
      expect([...weightBytes(got)]).toEqual([...weightBytes(t)]);
      expect(isPacked(got) ? got.format : 'f32').toBe(isPacked(t) ? t.format : 'f32');
    }
  });
});

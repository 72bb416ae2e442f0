import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from './safetensors-file.js';
import { buildSafetensors, expectInputErrorSync, f32Tensor, PEFT_FIXTURES, rawSafetensors } from './test-helpers.js';

const F = 'w.safetensors';
const u16 = (vals: number[]) => Uint16Array.from(vals);
const bitsToF32 = (b: number) => new Float32Array(Uint32Array.of(b).buffer)[0];

describe('parseSafetensors on fixtures', () => {
  it('reads the fixture base model', () => {
    const file = parseSafetensors(new Uint8Array(readFileSync(`${PEFT_FIXTURES}/base/model.safetensors`)), F);
    expect(file.metadata).toEqual({ format: 'pt' });
    expect(file.info('model.embed_tokens.weight')).toEqual({ dtype: 'F32', shape: [128, 64], byteLength: 128 * 64 * 4 });
    const t = file.getF32('model.layers.0.self_attn.k_proj.weight');
    expect(t.shape).toEqual([32, 64]);
    expect(t.data.length).toBe(32 * 64);
    expect(file.names()).toContain('lm_head.weight');
  });

  it('reads I32 ids from common.safetensors', () => {
    const file = parseSafetensors(new Uint8Array(readFileSync(`${PEFT_FIXTURES}/common.safetensors`)), F);
    const ids = file.get('inputs.unpadded.input_ids');
    expect(ids.dtype).toBe('i32');
    expect(ids.shape).toEqual([2, 7]);
  });
});

describe('dtype conversion', () => {
  it('converts F16 exactly: normals, subnormals, zeros, inf, nan', () => {
    const halves = [0x3c00, 0xc000, 0x3555, 0x0001, 0x03ff, 0x8000, 0x0000, 0x7c00, 0xfc00, 0x7e00, 0x7bff, 0x0400];
    const file = parseSafetensors(buildSafetensors({ h: { dtype: 'F16', shape: [12], data: u16(halves) } }), F);
    const got = [...file.getF32('h').data];
    expect(got.slice(0, 2)).toEqual([1, -2]);
    expect(got[2]).toBe(Math.fround(0.333251953125));
    expect(got[3]).toBe(2 ** -24);
    expect(got[4]).toBe(1023 * 2 ** -24);
    expect(Object.is(got[5], -0)).toBe(true);
    expect(Object.is(got[6], 0)).toBe(true);
    expect(got[7]).toBe(Infinity);
    expect(got[8]).toBe(-Infinity);
    expect(Number.isNaN(got[9])).toBe(true);
    expect(got[10]).toBe(65504);
    expect(got[11]).toBe(2 ** -14);
    // every finite half converts to the value its bit pattern means
    const all = Uint16Array.from({ length: 0x7c00 }, (_, h) => h);
    const every = parseSafetensors(buildSafetensors({ h: { dtype: 'F16', shape: [all.length], data: all } }), F).getF32('h').data;
    for (let h = 0; h < 0x7c00; h++) {
      const e = h >> 10;
      const m = h & 0x3ff;
      const want = e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
      if (every[h] !== want) expect([h, every[h]]).toEqual([h, want]);
    }
  });

  it('converts BF16 and F64', () => {
    const file = parseSafetensors(
      buildSafetensors({
        b: { dtype: 'BF16', shape: [4], data: u16([0x3f80, 0xc040, 0x7f80, 0x3eaa]) },
        d: { dtype: 'F64', shape: [2], data: Float64Array.of(0.1, -3) },
      }),
      F,
    );
    expect([...file.getF32('b').data]).toEqual([1, -3, Infinity, bitsToF32(0x3eaa0000)]);
    expect([...file.getF32('d').data]).toEqual([Math.fround(0.1), -3]);
    expect(file.get('b').dtype).toBe('f32');
  });

  it('converts integer dtypes to i32, checking I64 range', () => {
    const file = parseSafetensors(
      buildSafetensors({
        i64: { dtype: 'I64', shape: [3], data: BigInt64Array.of(5n, -7n, 2147483647n) },
        big: { dtype: 'I64', shape: [2], data: BigInt64Array.of(1n, 5000000000n) },
        u8: { dtype: 'U8', shape: [2], data: Uint8Array.of(255, 3) },
        i8: { dtype: 'I8', shape: [1], data: Int8Array.of(-5) },
        bool: { dtype: 'BOOL', shape: [2], data: Uint8Array.of(0, 1) },
        f: f32Tensor([1], [1.5]),
      }),
      F,
    );
    expect([...file.getI32('i64').data]).toEqual([5, -7, 2147483647]);
    expect(file.get('i64').dtype).toBe('i32');
    expect([...file.getI32('u8').data]).toEqual([255, 3]);
    expect([...file.getI32('i8').data]).toEqual([-5]);
    expect([...file.getI32('bool').data]).toEqual([0, 1]);
    expectInputErrorSync(() => file.getI32('big'), `${F}: tensor "big" (I64) value 5000000000 at index 1 does not fit in int32`);
    expectInputErrorSync(() => file.getI32('f'), `${F}: tensor "f" has dtype F32; an integer tensor was expected`);
  });

  it('copies unaligned F32 data', () => {
    const bytes = buildSafetensors({ a: { dtype: 'U8', shape: [1], data: Uint8Array.of(9) }, b: f32Tensor([2], [1, 2]) });
    expect([...parseSafetensors(bytes, F).getF32('b').data]).toEqual([1, 2]);
  });
});

describe('parseSafetensors: the reference reader\'s layout rules', () => {
  const a = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  const b = { dtype: 'F32', shape: [1], data_offsets: [8, 12] };
  const twelve = Float32Array.of(1, 2, 3);
  const bytes12 = new Uint8Array(twelve.buffer);

  it('accepts a header padded with trailing spaces, zero-size tensors and tensors listed out of offset order', () => {
    const header = JSON.stringify({ b, e: { dtype: 'F32', shape: [0, 4], data_offsets: [8, 8] }, a }) + '       ';
    const file = parseSafetensors(rawSafetensors(header, bytes12), F);
    expect([...file.getF32('a').data]).toEqual([1, 2]);
    expect([...file.getF32('b').data]).toEqual([3]);
    expect(file.info('e')).toEqual({ dtype: 'F32', shape: [0, 4], byteLength: 0 });
  });

  it('rejects a header length one byte short (it used to shift every tensor by a byte)', () => {
    const header = JSON.stringify({ a, b });
    const padded = header + ' '.repeat(8 - (header.length % 8));
    const good = rawSafetensors(padded, bytes12);
    expect([...parseSafetensors(good, F).getF32('b').data]).toEqual([3]);
    expectInputErrorSync(
      () => parseSafetensors(rawSafetensors(padded, bytes12, padded.length - 1), F),
      `${F}: the tensors end at byte 12 of the data section but it has 13 bytes: 1 trailing byte(s) (the file is not what its header describes; header length ${padded.length - 1} may be wrong)`,
    );
  });

  it('rejects trailing bytes after the last tensor', () => {
    expectInputErrorSync(
      () => parseSafetensors(rawSafetensors(JSON.stringify({ a }), new Uint8Array(12)), F),
      /^w\.safetensors: the tensors end at byte 8 of the data section but it has 12 bytes: 4 trailing byte\(s\)/,
    );
  });

  it('rejects a gap between tensors and a first tensor that does not start the data section', () => {
    const gap = { a, b: { ...b, data_offsets: [12, 16] } };
    expectInputErrorSync(
      () => parseSafetensors(rawSafetensors(JSON.stringify(gap), new Uint8Array(16)), F),
      `${F}: tensor "b" starts at byte 12 of the data section, expected 8 (where "a" ends): 4 unused byte(s) between tensors`,
    );
    expectInputErrorSync(
      () => parseSafetensors(rawSafetensors(JSON.stringify({ b }), new Uint8Array(12)), F),
      `${F}: tensor "b" starts at byte 8 of the data section, expected 0 (the start of the data section): 8 unused byte(s) between tensors`,
    );
  });

  it('rejects a tensor name listed twice', () => {
    const header = `{"a": ${JSON.stringify(a)}, "a": ${JSON.stringify(a)}}`;
    expectInputErrorSync(() => parseSafetensors(rawSafetensors(header, new Uint8Array(8)), F), `${F}: safetensors header: the key "a" appears twice in one object (which value is meant?)`);
  });

  it('rejects offsets beyond 2^53 (not exact in JSON numbers)', () => {
    const header = JSON.stringify({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }).replace('[0,1]', '[9007199254740993,9007199254740994]');
    expectInputErrorSync(
      () => parseSafetensors(rawSafetensors(header, new Uint8Array(8)), F),
      `${F}: tensor "a": data_offsets must be [begin, end] with 0 <= begin <= end, got [9007199254740992,9007199254740994]`,
    );
  });

  it('refuses integer dtypes where a float tensor is read (an I32 weight used to give logits of 1e11)', () => {
    const file = parseSafetensors(buildSafetensors({ w: { dtype: 'I32', shape: [2], data: Int32Array.of(1065353216, 7) }, u: { dtype: 'U8', shape: [1], data: Uint8Array.of(1) } }), F);
    expectInputErrorSync(() => file.getF32('w'), `${F}: tensor "w" has integer dtype I32; a float tensor (F32, F16, BF16 or F64) was expected`);
    expectInputErrorSync(() => file.getF32('u'), `${F}: tensor "u" has integer dtype U8; a float tensor (F32, F16, BF16 or F64) was expected`);
    expect([...file.getI32('w').data]).toEqual([1065353216, 7]);
  });
});

describe('parseSafetensors validation', () => {
  const data = new Uint8Array(8);
  const entry = (e: unknown) => JSON.stringify({ t: e });
  const cases: Array<[string, Uint8Array, string]> = [
    ['shorter than 8 bytes', new Uint8Array(5), `${F}: not a safetensors file: 5 bytes, shorter than the 8-byte header length`],
    ['header beyond the file', rawSafetensors('{}', data, 4096), `${F}: truncated or not a safetensors file: header length 4096 is beyond the end of the file (24 bytes)`],
    ['absurd header length', rawSafetensors('{}', data, 2 ** 40), `${F}: not a safetensors file: header length 1099511627776 is absurd (limit 100000000 bytes)`],
    ['header not JSON', rawSafetensors('{"t": [', data), `${F}: safetensors header is not valid JSON`],
    ['header not an object', rawSafetensors('[1,2]', data), `${F}: safetensors header must start with "{", got "[1,2]   " (wrong header length or not a safetensors file)`],
    ['unknown dtype', rawSafetensors(entry({ dtype: 'Q4', shape: [2], data_offsets: [0, 8] }), data), `${F}: tensor "t" has unknown dtype "Q4" (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL, U16, U32, U64)`],
    ['bad shape', rawSafetensors(entry({ dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] }), data), `${F}: tensor "t": shape must be an array of non-negative integers, got [2,-1]`],
    ['bad offsets', rawSafetensors(entry({ dtype: 'F32', shape: [2], data_offsets: [8, 0] }), data), `${F}: tensor "t": data_offsets must be [begin, end] with 0 <= begin <= end, got [8,0]`],
    ['offsets out of range', rawSafetensors(entry({ dtype: 'F32', shape: [4], data_offsets: [0, 16] }), data), `${F}: tensor "t": data_offsets [0, 16] are out of range (the data section has 8 bytes)`],
    ['length mismatch', rawSafetensors(entry({ dtype: 'F32', shape: [3], data_offsets: [0, 8] }), data), `${F}: tensor "t": data_offsets [0, 8] hold 8 bytes but dtype F32 and shape [3] need 12`],
    [
      'overlap',
      rawSafetensors(JSON.stringify({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }), data),
      `${F}: tensors "a" [0, 8] and "b" [4, 8] overlap`,
    ],
    ['metadata', rawSafetensors(JSON.stringify({ __metadata__: { a: 1 } }), data), `${F}: safetensors "__metadata__" must be an object of strings`],
    ['entry not an object', rawSafetensors(entry(3), data), `${F}: tensor "t": header entry must be an object with dtype, shape and data_offsets`],
  ];
  for (const [name, bytes, message] of cases) {
    it(`rejects ${name}`, () => expectInputErrorSync(() => parseSafetensors(bytes, F), message.endsWith('valid JSON') ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(`) : message));
  }

  it('names the missing tensor and some that exist', () => {
    const file = parseSafetensors(buildSafetensors({ a: f32Tensor([1]), b: f32Tensor([1]), c: f32Tensor([1]), d: f32Tensor([1]) }), F);
    expectInputErrorSync(() => file.getF32('x'), `${F}: no tensor named "x" (has 4 tensors, e.g. "a", "b", "c", ...)`);
  });

  it('reports unreadable known dtypes on get', () => {
    const file = parseSafetensors(buildSafetensors({ f8: { dtype: 'F8_E4M3', shape: [2], data: Uint8Array.of(1, 2) } }), F);
    expect(file.info('f8').dtype).toBe('F8_E4M3');
    expectInputErrorSync(() => file.get('f8'), /^w\.safetensors: tensor "f8" has dtype F8_E4M3, which cannot be read/);
  });

  it('never crashes on random garbage', () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 300; i++) {
      const bytes = Uint8Array.from({ length: 8 + Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256));
      if (i % 3 === 0) new DataView(bytes.buffer).setUint32(0, Math.floor(rnd() * 64), true), new DataView(bytes.buffer).setUint32(4, 0, true);
      try {
        parseSafetensors(bytes, F);
      } catch (err) {
        expect((err as Error).name).toBe('InputError');
      }
    }
  });
});

import { readFileSync } from 'node:fs';
import { createCpuBackend } from '@xlora/backend-cpu';
import { dequantize, isPacked, quantize, type HostTensor, type WeightTensor } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { writeSafetensors } from '../io/safetensors-writer.js';
import { loadXLoraModel } from '../xlora/load-model.js';
import { XLoraModel } from '../xlora/xlora-model.js';
import { loadBaseModel } from './load-base-model.js';
import { mapFileSource } from './map-file-source.js';
import { parseSafetensors } from './safetensors-file.js';
import { openSafetensors } from './safetensors-range-file.js';
import { readWeightAs } from './read-weight-as.js';
import { filesUnder, PEFT_FIXTURES, splitSafetensors } from './test-helpers.js';

/** The PEFT fixture base's weights (F32), as the file holds them. */
const fixtureWeights = (): Record<string, HostTensor<'f32'>> => {
  const file = parseSafetensors(new Uint8Array(readFileSync(`${PEFT_FIXTURES}/base/model.safetensors`)), 'x');
  return Object.fromEntries(file.names().map((n) => [n, file.getF32(n)]));
};

/** The fixture tree with base/model.safetensors stored as `dtype`. */
function fixtureStoredAs(dtype: 'F16' | 'BF16') {
  const files = filesUnder(PEFT_FIXTURES);
  const bytes = writeSafetensors(fixtureWeights(), { format: 'pt' }, { floatDtype: dtype });
  files.set('base/model.safetensors', bytes);
  return { src: mapFileSource(files), bytes };
}

/** The f32 value of a 16-bit pattern, from the formats' definitions (independent of any decoder in the code). */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}
const bf16Value = (b: number) => new Float32Array(Uint32Array.of(b << 16).buffer)[0];

const f32Bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('base weights keep their storage format', () => {
  for (const dtype of ['BF16', 'F16'] as const) {
    it(`${dtype} tensors load packed, bytes as in the file, decoding bit for bit to the format's values`, async () => {
      const { src, bytes } = fixtureStoredAs(dtype);
      const file = parseSafetensors(bytes, 'f');
      const split = splitSafetensors(bytes);
      const base = await loadBaseModel(src, 'base');
      expect(base.weights.size).toBe(file.names().length);
      for (const name of file.names()) {
        const w = base.weights.get(name)!;
        expect(isPacked(w) && w.format, name).toBe(dtype === 'F16' ? 'f16' : 'bf16');
        if (!isPacked(w)) continue;
        const [begin, end] = split.header[name].data_offsets;
        expect(w.bytes).toEqual(split.data.subarray(begin, end));
        const halves = new Uint16Array(w.bytes.slice().buffer);
        const want = Float32Array.from(halves, dtype === 'F16' ? halfValue : bf16Value);
        expect(f32Bits(dequantize(w).data)).toEqual(f32Bits(want));
      }
    });

    it(`${dtype} base logits equal the same model with its weights widened to f32 (1e-6)`, async () => {
      const { src } = fixtureStoredAs(dtype);
      const backend = await createCpuBackend();
      const packedModel = await loadXLoraModel({ source: src, baseDir: 'base', xloraDir: 'cases/a_default/xlora', adapterRoot: '', backend });
      const widened = new Map<string, WeightTensor>([...packedModel.parts.baseWeights].map(([k, t]) => [k, dequantize(t)]));
      const reference = new XLoraModel({ ...packedModel.parts, baseWeights: widened }, backend);
      const common = parseSafetensors(new Uint8Array(readFileSync(`${PEFT_FIXTURES}/common.safetensors`)), 'common');
      const ids = common.getI32('inputs.unpadded.input_ids');
      const got = (await packedModel.forward(ids)).logits.data;
      const want = (await reference.forward(ids)).logits.data;
      expect(got.length).toBe(want.length);
      expect(maxDiff(got, want)).toBeLessThanOrEqual(1e-6);
      // and the weights really are rounded: PEFT's f32 logits differ
      const peft = parseSafetensors(new Uint8Array(readFileSync(`${PEFT_FIXTURES}/cases/a_default/expected.safetensors`)), 'e').getF32('unpadded.logits').data;
      expect(maxDiff(got, peft)).toBeGreaterThan(1e-6);
    });
  }
});

describe('quantize on load (dtype)', () => {
  const src = () => mapFileSource(filesUnder(PEFT_FIXTURES));

  for (const format of ['q8_0', 'q4_0', 'f16', 'bf16'] as const) {
    it(`dtype ${format}: every matrix is the format's quantization of the file's f32 values, vectors stay f32`, async () => {
      const stored = fixtureWeights();
      const base = await loadBaseModel(src(), 'base', { dtype: format });
      for (const [name, t] of Object.entries(stored)) {
        const w = base.weights.get(name)!;
        if (t.shape.length === 1) {
          expect(isPacked(w), name).toBe(false);
          expect((w as HostTensor).data).toEqual(t.data);
        } else {
          expect(isPacked(w) && w.format, name).toBe(format);
          expect(isPacked(w) && w.bytes, name).toEqual(quantize(t, format).bytes);
        }
      }
    });
  }

  it('dtype q8_0 logits equal the f32 model whose weights are dequantize(quantize(w)) (1e-4)', async () => {
    const backend = await createCpuBackend();
    const load = (dtype?: 'q8_0') => loadXLoraModel({ source: src(), baseDir: 'base', xloraDir: 'cases/a_default/xlora', adapterRoot: '', backend, dtype });
    const [q8, f32Model] = [await load('q8_0'), await load()];
    const roundTripped = new Map<string, WeightTensor>([...f32Model.parts.baseWeights].map(([k, t]) => {
      const f = dequantize(t);
      return [k, f.shape.length === 2 ? dequantize(quantize(f, 'q8_0')) : f];
    }));
    const reference = new XLoraModel({ ...f32Model.parts, baseWeights: roundTripped }, backend);
    const common = parseSafetensors(new Uint8Array(readFileSync(`${PEFT_FIXTURES}/common.safetensors`)), 'common');
    const ids = common.getI32('inputs.unpadded.input_ids');
    const got = (await q8.forward(ids)).logits.data;
    const want = (await reference.forward(ids)).logits.data;
    const plain = (await f32Model.forward(ids)).logits.data;
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(want[i]));
    expect(maxDiff(got, plain)).toBeGreaterThan(1e-4); // q8_0 really changed the weights
  });

  it('q4_k on rows of 64 and 128 values falls back to q8_0, with one notice naming the tensors', async () => {
    const notices: string[] = [];
    const base = await loadBaseModel(src(), 'base', { dtype: 'q4_k', onNotice: (m) => notices.push(m) });
    const formats = new Set([...base.weights].filter(([, t]) => t.shape.length === 2).map(([, t]) => isPacked(t) && t.format));
    expect(formats).toEqual(new Set(['q8_0']));
    expect(notices).toEqual([
      `base/model.safetensors: 16 tensor(s) stored as q8_0 instead of q4_k, whose blocks do not fit their rows ("lm_head.weight", "model.embed_tokens.weight", "model.layers.0.mlp.down_proj.weight", ...)`, // in file order
    ]);
  });

  it('converts in row chunks read one by one, equal to converting the whole tensor', async () => {
    const { src } = fixtureStoredAs('BF16');
    const file = await openSafetensors(src, 'base/model.safetensors');
    try {
      const name = 'model.layers.0.mlp.down_proj.weight'; // [64, 128] BF16: 256 bytes a row
      const whole = dequantize(await file.readWeight(name));
      const reads: number[] = [];
      const chunked = await readWeightAs(file, name, 'q4_0', { chunkBytes: 700, onBytes: (n) => reads.push(n) });
      expect(reads).toEqual(new Array(32).fill(512)); // 64 rows of 256 bytes: 2 rows (512 bytes <= 700) per read
      expect(isPacked(chunked) && chunked.bytes).toEqual(quantize(whole, 'q4_0').bytes);
    } finally {
      await file.close();
    }
  });

  it('rejects an unknown dtype before reading anything', async () => {
    await expect(loadBaseModel(src(), 'base', { dtype: 'q5_k' as never })).rejects.toThrow('dtype must be one of f32, f16, bf16, q8_0, q4_0, q4_k, q4_k_m, got "q5_k"');
  });
});

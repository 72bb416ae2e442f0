import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.js';
import { outputShapes, ShapeError } from './shape-rules.js';
import { registerBackend, resolveBackend } from '../registry.js';

describe('GraphBuilder', () => {
  it('infers symbolic shapes, including the KV cache growing by the new tokens', () => {
    const g = new GraphBuilder('t');
    const q = g.input('q', 'f32', ['batch', 'seq', 32]);
    const kv = g.input('kv', 'f32', ['batch', 'seq', 16]);
    const past = g.input('past', 'f32', ['batch', 2, 'past', 8]);
    const mask = g.input('mask', 'i32', ['batch', 'past+seq']);
    const [out, presentK] = g.attention(q, kv, kv, past, past, mask, { numHeads: 4, numKvHeads: 2, headDim: 8, scale: 1 },
      { presentK: 'present_k' });
    expect(out.shape).toEqual(['batch', 'seq', 32]);
    expect(presentK).toMatchObject({ name: 'present_k', shape: ['batch', 2, 'past+seq', 8] });
    const sliced = g.slice(out, { axis: 1, start: -1, end: null });
    expect(sliced.shape).toEqual(['batch', 1, 32]);
    expect(g.reshape(out, [0, 0, 4, 8]).shape).toEqual(['batch', 'seq', 4, 8]);
  });

  it('rejects shape mismatches with the node, the rule and the shapes', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'f32', ['batch', 3]);
    expect(() => g.matmul(x, g.weight('w', [2, 4]))).toThrow(ShapeError);
    expect(() => g.matmul(x, g.weight('w2', [2, 4]))).toThrow("x's last dim must equal the weight's in-features (input shapes [batch, 3], [2, 4])");
    const node = { op: 'Reshape', name: 'r', inputs: ['a'], outputs: ['b'], attrs: { shape: [5] } } as const;
    expect(() => outputShapes(node, [[2, 3]])).toThrow('cannot reshape to [5]');
  });
});

describe('backend registry', () => {
  it('returns the first backend that starts, else one error listing every failure', async () => {
    registerBackend('broken-a', async () => { throw new Error('no adapter'); });
    registerBackend('broken-b', async () => { throw new Error('provider missing'); });
    await expect(resolveBackend(['broken-a', 'broken-b', 'unknown'])).rejects.toThrow(
      /broken-a: no adapter\n\s+broken-b: provider missing\n\s+unknown: not registered/);
    const ok = { info: { name: 'ok', device: 'test', supportsF16: false } } as never;
    registerBackend('ok', async () => ok);
    expect(await resolveBackend(['broken-a', 'ok'])).toBe(ok);
  });
});

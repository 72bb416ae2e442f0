import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@xlora/backend-cpu';
import { f32, i32 } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { nodeFileSource } from '../loading/index.js';
import { loadXLoraModel } from './load-model.js';
import { XLoraModel } from './xlora-model.js';

const FIXTURES = fileURLToPath(new URL('../../../../test-data/peft-xlora', import.meta.url));
const load = async (caseName: string) => loadXLoraModel({
  source: nodeFileSource(FIXTURES), baseDir: 'base', xloraDir: `cases/${caseName}/xlora`, adapterRoot: '', backend: await createCpuBackend(),
});
const prompt = i32([2, 4], [8, 71, 116, 26, 3, 9, 27, 5]);

describe('XLoraModel', () => {
  it.each(['b1_depth2_layerwise', 'c_topk2_softmax_topk'])('frozen scalings equal the exact mode up to the freeze point, then diverge (%s)', async (caseName) => {
    const model = await load(caseName);
    const exact = await model.generate(prompt, { maxNewTokens: 6, eosTokenIds: [], returnStepLogits: true });
    const frozen = await model.generate(prompt, { maxNewTokens: 6, eosTokenIds: [], returnStepLogits: true, freezeScalingsAfter: 3 });
    for (let step = 0; step < 6; step++) {
      const same = exact.stepLogits![step].data.every((v, i) => v === frozen.stepLogits![step].data[i]);
      expect(same, `step ${step}`).toBe(step < 3);
    }
    expect(frozen.tokens.map((r) => r.slice(0, 4 + 3))).toEqual(exact.tokens.map((r) => r.slice(0, 4 + 3)));
    // after freezing, every new position logs the frozen row: the last two positions' scalings are equal
    const latest = model.getLatestScalings()!;
    const [, s, l, c] = latest.shape;
    const row = (pos: number) => Array.from(latest.data.subarray(pos * l * c, (pos + 1) * l * c));
    expect(row(s - 1)).toEqual(row(s - 2));
    await expect(model.generate(prompt, { maxNewTokens: 2, freezeScalingsAfter: 0 })).rejects.toThrow('freezeScalingsAfter must be an integer >= 1');
  });

  it('seeded sampling is reproducible and differs across seeds', async () => {
    const model = await load('a_default');
    const run = (seed: number) => model.generate(prompt, { maxNewTokens: 8, eosTokenIds: [], doSample: true, temperature: 1.5, seed });
    const a = await run(1), b = await run(1), c = await run(2);
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).not.toEqual(c.tokens);
  });

  it('stops a row at EOS, pads it, and stops when every row is done', async () => {
    const model = await load('a_default');
    const steps = 4, promptLen = 4;
    const greedy = await model.generate(prompt, { maxNewTokens: steps, eosTokenIds: [] });
    const row0 = greedy.tokens[0].slice(promptLen), row1 = greedy.tokens[1].slice(promptLen);
    expect(greedy.tokens.map((r) => r.length)).toEqual([promptLen + steps, promptLen + steps]);
    // EOS: row 0's token at the first step k >= 1 (and before the last step, so padding follows) that row 0 has not
    // produced before and row 1 never produces, so only row 0 stops, after k + 1 new tokens
    const k = row0.findIndex((t, i) => i >= 1 && i < steps - 1 && !row0.slice(0, i).includes(t) && !row1.includes(t));
    expect(k).toBeGreaterThanOrEqual(1);
    const eos = row0[k];
    const pad = model.parts.padTokenId ?? eos; // generation_config.json's pad_token_id
    expect(pad).toBe(0);
    // the padding must be visible: greedy row 0 goes on with other tokens than the pad
    expect(row0.slice(k + 1).some((t) => t !== pad)).toBe(true);

    const res = await model.generate(prompt, { maxNewTokens: steps, eosTokenIds: [eos] });
    expect(res.stopReason).toBe('max-new-tokens'); // row 1 never hits EOS
    expect(res.tokens.map((r) => r.length)).toEqual([promptLen + steps, promptLen + steps]);
    expect(res.tokens[0]).toEqual([...greedy.tokens[0].slice(0, promptLen + k + 1), ...new Array(steps - k - 1).fill(pad)]);
    expect(res.tokens[1]).toEqual(greedy.tokens[1]);

    const onlyRow0 = await model.generate(i32([1, promptLen], prompt.data.slice(0, promptLen)), { maxNewTokens: steps, eosTokenIds: [eos] });
    expect(onlyRow0.stopReason).toBe('eos');
    expect(onlyRow0.tokens[0]).toEqual(greedy.tokens[0].slice(0, promptLen + k + 1));
  });

  it('an aborted generation stops and says so', async () => {
    const model = await load('a_default');
    const ctl = new AbortController();
    const res = await model.generate(prompt, { maxNewTokens: 50, eosTokenIds: [], signal: ctl.signal, onToken: (step) => { if (step === 1) ctl.abort(); } });
    expect(res.stopReason).toBe('aborted');
    expect(res.tokens[0]).toHaveLength(4 + 2);
  });

  it('validates knobs, inputs and parts with messages that name the problem', async () => {
    const model = await load('a_default');
    expect(() => model.setTopKLora(0)).toThrow('setTopKLora: k must be null or an integer >= 1, got 0');
    expect(() => model.setGlobalScalingWeight(Number.NaN)).toThrow('finite number');
    model.setScalingPassValue(null);
    expect(model.getScalingPassValue()).toBeCloseTo(1 / 3);
    await expect(model.forward(f32([1, 2], [1, 2]))).rejects.toThrow('input_ids must be an i32 tensor [batch, seq], got f32 [1,2]');
    await expect(model.forward(prompt, { attentionMask: i32([2, 3]) })).rejects.toThrow('attention_mask has shape [2,3], expected [2, 4]');
    await expect(model.forward(i32([1, 1], [500]))).rejects.toThrow('token id 500');
    await expect(model.forward(prompt, { mode: { expert: 7 } })).rejects.toThrow('expert 7 does not exist (the model has experts 0..2)');
    expect(() => new XLoraModel({ ...model.parts, xloraConfig: { ...model.parts.xloraConfig, hiddenSize: 32 } }, model.backend))
      .toThrow('field "hidden_size" is 32 but the base model\'s hidden_size is 64');
    const badClassifier = new Map(model.parts.classifierWeights);
    badClassifier.set('layers.0.weight', f32([3, 32]));
    expect(() => new XLoraModel({ ...model.parts, classifierWeights: badClassifier, classifierFile: 'ckpt/adapter_model.safetensors' }, model.backend))
      .toThrow('ckpt/adapter_model.safetensors: classifier tensor "base_model.internal_xlora_classifier.layers.0.weight" has shape [3, 32], expected [3, 64]');
  });

  it('runtime knobs change the numbers as PEFT would: top-1 differs from dense, weight 0 gives the base model', async () => {
    const model = await load('a_default');
    const dense = await model.forward(prompt);
    model.setGlobalScalingWeight(0);
    const zero = await model.forward(prompt);
    const base = await model.forward(prompt, { mode: 'base' });
    expect(Array.from(zero.logits.data)).toEqual(Array.from(base.logits.data));
    model.setGlobalScalingWeight(1);
    model.setTopKLora(1);
    const top1 = await model.forward(prompt);
    expect(Array.from(top1.scalings!.data)).toEqual(Array.from(dense.scalings!.data)); // scalings are pre-top-k
    expect(Math.max(...top1.logits.data.map((v, i) => Math.abs(v - dense.logits.data[i])))).toBeGreaterThan(1e-3);
  });
});

describe('sliding window', () => {
  const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

  it('a window as long as the sequence changes nothing; a shorter one changes the logits past it', async () => {
    const model = await load('a_default');
    const ids = i32([1, 7], [1, 2, 3, 4, 5, 6, 7]);
    const full = await model.forward(ids);
    const wide = await new XLoraModel({ ...model.parts, baseConfig: { ...model.parts.baseConfig, slidingWindow: 7 } }, model.backend).forward(ids);
    expect(Array.from(wide.logits.data)).toEqual(Array.from(full.logits.data));
    const narrow = await new XLoraModel({ ...model.parts, baseConfig: { ...model.parts.baseConfig, slidingWindow: 4 } }, model.backend).forward(ids);
    const v = full.logits.shape[2];
    expect(Array.from(narrow.logits.data.subarray(0, 4 * v))).toEqual(Array.from(full.logits.data.subarray(0, 4 * v))); // positions < W see all
    expect(maxDiff(narrow.logits.data.subarray(4 * v), full.logits.data.subarray(4 * v))).toBeGreaterThan(1e-3);
  });

  it('the KV-cached generation applies the window like a full recompute, past the window', async () => {
    const model = await load('b1_depth2_layerwise');
    const windowed = new XLoraModel({ ...model.parts, baseConfig: { ...model.parts.baseConfig, slidingWindow: 3 } }, model.backend);
    const prompt = i32([1, 2], [8, 71]);
    const gen = await windowed.generate(prompt, { maxNewTokens: 6, eosTokenIds: [], returnStepLogits: true });
    const seq = gen.tokens[0];
    const full = await windowed.forward(i32([1, seq.length], seq));
    const v = full.logits.shape[2];
    for (let step = 0; step < 6; step++) {
      const pos = 1 + step; // the step's logits are those of position 1 + step
      expect(maxDiff(gen.stepLogits![step].data, full.logits.data.subarray(pos * v, (pos + 1) * v)), `step ${step}`).toBeLessThan(1e-5);
    }
  });
});

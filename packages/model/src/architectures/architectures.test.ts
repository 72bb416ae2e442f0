import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@xlora/backend-cpu';
import { f32, i32, InputError } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { nodeFileSource } from '../loading/index.js';
import { loadXLoraModel } from '../xlora/load-model.js';
import { XLoraModel } from '../xlora/xlora-model.js';
import { longRope } from './building/rope-frequencies.js';
import { ARCHITECTURES } from './registry.js';

const fixture = (set: string) => fileURLToPath(new URL(`../../../../test-data/peft-xlora-${set}`, import.meta.url));
const load = async (set: string, caseName: string) => loadXLoraModel({
  source: nodeFileSource(fixture(set)), baseDir: 'base', xloraDir: `cases/${caseName}/xlora`, adapterRoot: '', backend: await createCpuBackend(),
});
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe('Phi-3 LongRoPE', () => {
  const shortFactor = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5];
  const longFactor = [1, 2, 4, 8, 12, 16, 24, 32];
  const withLongRope = async () => {
    const model = await load('phi3', 'pb_depth2_layerwise');
    const baseConfig = {
      ...model.parts.baseConfig, maxPositionEmbeddings: 128, originalMaxPositionEmbeddings: 8,
      ropeScaling: { ropeType: 'longrope' as const, shortFactor, longFactor, raw: {} },
    };
    return new XLoraModel({ ...model.parts, baseConfig }, model.backend);
  };

  it('frequencies and attention factor follow the definition: 1/(factor_i·θ^(2i/d)), √(1 + ln(128/8)/ln 8)', async () => {
    const cfg = (await withLongRope()).config;
    for (const [long, factors] of [[false, shortFactor], [true, longFactor]] as const) {
      const { invFreq, attentionFactor } = longRope(cfg, long);
      invFreq.forEach((f, i) => expect(Math.abs(f - 1 / (factors[i] * 10000 ** ((2 * i) / 16))) / f).toBeLessThan(1e-6));
      expect(attentionFactor).toBeCloseTo(Math.sqrt(1 + Math.log(16) / Math.log(8)), 12);
    }
  });

  it('generation across original_max_position_embeddings equals PEFT-style recomputes of every prefix', async () => {
    const model = await withLongRope();
    const prompt = i32([1, 5], [3, 17, 250, 9, 41]);
    const gen = await model.generate(prompt, { maxNewTokens: 7, eosTokenIds: [], returnStepLogits: true }); // positions 4..10 cross 8
    const seq = gen.tokens[0];
    for (let step = 0; step < 7; step++) {
      const len = 5 + step;
      const full = await model.forward(i32([1, len], seq.slice(0, len)));
      const v = full.logits.shape[2];
      expect(maxDiff(gen.stepLogits![step].data, full.logits.data.subarray((len - 1) * v)), `step ${step}`).toBeLessThan(1e-4);
    }
  });
});

describe('LoRA targets by architecture', () => {
  it('target_modules null means PEFT\'s default for the model type (Phi-3: qkv_proj)', async () => {
    const model = await load('phi3', 'pb_depth2_layerwise');
    const experts = model.parts.experts.map((e, i) => (i === 0 ? { ...e, config: { ...e.config, targetModules: null } } : e));
    const m = new XLoraModel({ ...model.parts, experts }, model.backend);
    expect(m.wrappedModules.map((w) => w.modulePath)).toEqual(model.wrappedModules.map((w) => w.modulePath));
    expect(ARCHITECTURES.Phi3ForCausalLM.defaultLoraTargets).toEqual(['qkv_proj']);
  });

  it('Mixtral: LoRA weights on a MoE expert are refused with the reason', async () => {
    const model = await load('mixtral', 'ma_top2');
    const e0 = model.parts.experts[0];
    const modules = new Map(e0.modules);
    modules.set('model.layers.0.block_sparse_moe.experts.0.w1', { a: f32([2, 64]), b: f32([96, 2]), scale: 1 } as never);
    const experts = [{ ...e0, modules }, ...model.parts.experts.slice(1)];
    let caught: unknown;
    try {
      new XLoraModel({ ...model.parts, experts }, model.backend);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as Error).message).toContain('adapters/m_qv_r4/adapter_model.safetensors (expert 0 "0"): LoRA on Mixtral\'s router or MoE experts ("model.layers.0.block_sparse_moe.experts.0.w1")');
  });
});

describe('module tables', () => {
  it('Gemma 2 expects its four norms per layer; Mixtral its router and experts', async () => {
    const g2 = (await load('gemma2', 'g2a_default')).config;
    const names = [...ARCHITECTURES.Gemma2ForCausalLM.expectedWeights(g2)].map((w) => w.name).filter((n) => n.startsWith('model.layers.0.') && n.includes('norm'));
    expect(names).toEqual(['input_layernorm', 'post_attention_layernorm', 'pre_feedforward_layernorm', 'post_feedforward_layernorm'].map((n) => `model.layers.0.${n}.weight`));
    const mx = (await load('mixtral', 'ma_top2')).config;
    const moe = [...ARCHITECTURES.MixtralForCausalLM.expectedWeights(mx)].filter((w) => w.name.startsWith('model.layers.1.block_sparse_moe.'));
    expect(moe.length).toBe(1 + 3 * 4);
    expect(moe[0]).toEqual({ name: 'model.layers.1.block_sparse_moe.gate.weight', shape: [4, 64] });
  });
});

import { readFileSync } from 'node:fs';
import { parseBaseModelConfig } from '@xlora/config';
import { dequantize, f32, isPacked, quantize, type WeightTensor } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { convertLoadedWeights } from './convert-loaded-weights.js';
import { PEFT_FIXTURES } from './test-helpers.js';

describe('convertLoadedWeights (a GGUF base brought to a dtype)', () => {
  const config = parseBaseModelConfig({ ...JSON.parse(readFileSync(`${PEFT_FIXTURES}/base/config.json`, 'utf8')), tie_word_embeddings: true }, 'config.json');
  const values = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.1);

  it('requantizes matrices from their decoded values, keeps vectors f32, keeps a shared (tied) tensor shared', () => {
    const emb = quantize(f32([128, 64], values(128 * 64)), 'q4_0');
    const already = quantize(f32([32, 64], values(32 * 64)), 'q8_0');
    const weights = new Map<string, WeightTensor>([
      ['model.embed_tokens.weight', emb],
      ['lm_head.weight', emb],
      ['model.layers.0.self_attn.k_proj.weight', already],
      ['model.norm.weight', quantize(f32([64], values(64)), 'f16')],
    ]);
    const fallbacks = convertLoadedWeights(weights, 'q8_0', config);
    expect(fallbacks.size).toBe(0);
    const e = weights.get('model.embed_tokens.weight')!;
    expect(weights.get('lm_head.weight')).toBe(e);
    expect(isPacked(e) && e.bytes).toEqual(quantize(dequantize(emb), 'q8_0').bytes);
    expect(weights.get('model.layers.0.self_attn.k_proj.weight')).toBe(already);
    const norm = weights.get('model.norm.weight')!;
    expect(isPacked(norm)).toBe(false);
    expect(dequantize(norm).data).toEqual(dequantize(quantize(f32([64], values(64)), 'f16')).data);
  });

  it('reports the fallbacks it takes', () => {
    const weights = new Map<string, WeightTensor>([['model.layers.0.mlp.up_proj.weight', f32([128, 64], values(128 * 64))]]);
    expect([...convertLoadedWeights(weights, 'q4_k', config)]).toEqual([['q4_k -> q8_0', ['model.layers.0.mlp.up_proj.weight']]]);
    const w = weights.get('model.layers.0.mlp.up_proj.weight')!;
    expect(isPacked(w) && w.format).toBe('q8_0');
  });
});

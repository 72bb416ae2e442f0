import { isPacked, quantize, type HostTensor } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { loadBaseModel } from './load-base-model.js';
import { mapFileSource } from './map-file-source.js';
import { fittingFormat, q4KMFormat, tensorRole, useMoreBits } from './quant-mix.js';
import { buildSafetensors, json, type RawTensor } from './test-helpers.js';

const layersWithMoreBits = (n: number) => Array.from({ length: n }, (_, i) => i).filter((i) => useMoreBits(i, n));

describe("llama.cpp's Q4_K_M mix", () => {
  it('use_more_bits picks the first and last eighth and every third layer between (integer division)', () => {
    // n = 32 (Llama-2-7B): n/8 = 4, 7n/8 = 28, (i − 4) % 3 == 2 -> 6, 9, …, 27
    expect(layersWithMoreBits(32)).toEqual([0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
    // n = 22 (TinyLlama): n/8 = 2, 7n/8 = 19 (154/8 rounded down), (i − 2) % 3 == 2 -> 4, 7, …, 16
    expect(layersWithMoreBits(22)).toEqual([0, 1, 4, 7, 10, 13, 16, 19, 20, 21]);
    // n = 8: n/8 = 1, 7n/8 = 7, (i − 1) % 3 == 2 -> 3, 6
    expect(layersWithMoreBits(8)).toEqual([0, 3, 6, 7]);
    // n < 8: n/8 = 0, so only (i % 3 == 2) and the last eighth (i >= 7n/8)
    expect(layersWithMoreBits(2)).toEqual([1]);
  });

  it('names tensors in transformers and GGUF spelling alike', () => {
    expect(tensorRole('lm_head.weight')).toEqual({ kind: 'output' });
    expect(tensorRole('output.weight')).toEqual({ kind: 'output' });
    expect(tensorRole('token_embd.weight')).toEqual({ kind: 'token-embedding' });
    expect(tensorRole('model.layers.12.self_attn.v_proj.weight')).toEqual({ kind: 'attn-v', layer: 12 });
    expect(tensorRole('blk.3.ffn_down.weight')).toEqual({ kind: 'ffn-down', layer: 3 });
    expect(tensorRole('model.layers.3.mlp.down_proj.bias')).toEqual({ kind: 'other' });
    expect(tensorRole('blk.3.attn_k.weight')).toEqual({ kind: 'other' });
  });

  it('Q6_K for the head (the embedding when tied) and the picked attn_v/ffn_down, Q4_K otherwise; fallbacks', () => {
    expect(q4KMFormat({ kind: 'output' }, 32, false)).toBe('q6_k');
    expect(q4KMFormat({ kind: 'token-embedding' }, 32, false)).toBe('q4_k');
    expect(q4KMFormat({ kind: 'token-embedding' }, 32, true)).toBe('q6_k');
    expect(q4KMFormat({ kind: 'attn-v', layer: 5 }, 32, false)).toBe('q4_k');
    expect(q4KMFormat({ kind: 'ffn-down', layer: 6 }, 32, false)).toBe('q6_k');
    expect(q4KMFormat({ kind: 'other' }, 32, false)).toBe('q4_k');
    expect(fittingFormat('q4_k', 4096)).toBe('q4_k');
    expect(fittingFormat('q4_k', 896)).toBe('q8_0'); // Qwen2-0.5B's hidden size: 3.5 blocks of 256
    expect(fittingFormat('q6_k', 48)).toBe('f16');
    expect(fittingFormat('q4_0', 48)).toBe('f16');
  });

  it('loading with dtype q4_k_m stores each matrix in the mix format, quantized from the file values', async () => {
    // 8 layers; rows of 256 values (k-quants fit) except o_proj's 64 (falls back to q8_0)
    const H = 256, I = 256, V = 32, L = 8, heads = 1, kvHeads = 1, headDim = 64;
    const config = {
      architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: H, intermediate_size: I, vocab_size: V, num_hidden_layers: L,
      num_attention_heads: heads, num_key_value_heads: kvHeads, head_dim: headDim, rms_norm_eps: 1e-5, max_position_embeddings: 64, tie_word_embeddings: false,
    };
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
    const tensors: Record<string, RawTensor> = {};
    const f32 = (shape: number[]): RawTensor => ({ dtype: 'F32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b) }, rand) });
    tensors['model.embed_tokens.weight'] = f32([V, H]);
    for (let l = 0; l < L; l++) {
      const p = `model.layers.${l}`;
      tensors[`${p}.input_layernorm.weight`] = f32([H]);
      tensors[`${p}.self_attn.q_proj.weight`] = f32([heads * headDim, H]);
      tensors[`${p}.self_attn.k_proj.weight`] = f32([kvHeads * headDim, H]);
      tensors[`${p}.self_attn.v_proj.weight`] = f32([kvHeads * headDim, H]);
      tensors[`${p}.self_attn.o_proj.weight`] = f32([H, heads * headDim]);
      tensors[`${p}.post_attention_layernorm.weight`] = f32([H]);
      tensors[`${p}.mlp.gate_proj.weight`] = f32([I, H]);
      tensors[`${p}.mlp.up_proj.weight`] = f32([I, H]);
      tensors[`${p}.mlp.down_proj.weight`] = f32([H, I]);
    }
    tensors['model.norm.weight'] = f32([H]);
    tensors['lm_head.weight'] = f32([V, H]);
    const src = mapFileSource(new Map([['m/config.json', json(config)], ['m/model.safetensors', buildSafetensors(tensors)]]));
    const notices: string[] = [];
    const base = await loadBaseModel(src, 'm', { dtype: 'q4_k_m', onNotice: (m) => notices.push(m) });
    expect(notices).toEqual(['m/model.safetensors: 8 tensor(s) stored as q8_0 instead of q4_k, whose blocks do not fit their rows ("model.layers.0.self_attn.o_proj.weight", "model.layers.1.self_attn.o_proj.weight", "model.layers.2.self_attn.o_proj.weight", ...)']);

    const q6 = new Set(['lm_head.weight', ...[0, 3, 6, 7].flatMap((l) => [`model.layers.${l}.self_attn.v_proj.weight`, `model.layers.${l}.mlp.down_proj.weight`])]);
    for (const [name, raw] of Object.entries(tensors)) {
      const w = base.weights.get(name)!;
      if (raw.shape.length === 1) {
        expect(isPacked(w), name).toBe(false);
        continue;
      }
      const want = name.endsWith('o_proj.weight') ? 'q8_0' : q6.has(name) ? 'q6_k' : 'q4_k';
      expect(isPacked(w) && w.format, name).toBe(want);
      if (!/^(lm_head|model\.embed_tokens|model\.layers\.[03]\.)/.test(name)) continue; // the bytes of a sample (quantizing is slow)
      const values: HostTensor<'f32'> = { dtype: 'f32', shape: raw.shape, data: raw.data as Float32Array };
      expect(isPacked(w) && w.bytes, name).toEqual(quantize(values, want).bytes);
    }
  }, 30_000);
});

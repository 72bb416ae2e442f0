import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { f32, type HostTensor } from '@xlora/core';
import { writeSafetensors } from '@xlora/model';
import type { ModelPreset } from './presets.js';

/** Deterministic normal samples (Box-Muller over mulberry32). */
function normalSampler(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function randn(next: () => number, shape: number[], std: number, mean = 0): HostTensor<'f32'> {
  const t = f32(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = mean + std * next();
  return t;
}

const json = (o: unknown) => JSON.stringify(o, null, 2);

/**
 * Writes base/ (config.json, model.safetensors), experts/e<i>/ (PEFT LoRA adapters) and xlora/ (PEFT X-LoRA
 * checkpoint with a layerwise depth-1 classifier) under `dir`, exactly as transformers and PEFT lay them out.
 */
export async function writeBenchmarkModel(p: ModelPreset, dir: string, seed = 7): Promise<void> {
  const next = normalSampler(seed);
  const headDim = p.hidden / p.heads;
  const base: Record<string, HostTensor> = {
    'model.embed_tokens.weight': randn(next, [p.vocab, p.hidden], 0.05),
    'model.norm.weight': randn(next, [p.hidden], 0.05, 1),
    'lm_head.weight': randn(next, [p.vocab, p.hidden], 0.05),
  };
  const shapes: Record<string, [number, number]> = {
    q_proj: [p.heads * headDim, p.hidden], k_proj: [p.kvHeads * headDim, p.hidden], v_proj: [p.kvHeads * headDim, p.hidden],
    o_proj: [p.hidden, p.heads * headDim], gate_proj: [p.intermediate, p.hidden], up_proj: [p.intermediate, p.hidden],
    down_proj: [p.hidden, p.intermediate],
  };
  const modulePath = (i: number, proj: string) => `model.layers.${i}.${proj.endsWith('_proj') && ['gate_proj', 'up_proj', 'down_proj'].includes(proj) ? 'mlp' : 'self_attn'}.${proj}`;
  for (let i = 0; i < p.layers; i++) {
    base[`model.layers.${i}.input_layernorm.weight`] = randn(next, [p.hidden], 0.05, 1);
    base[`model.layers.${i}.post_attention_layernorm.weight`] = randn(next, [p.hidden], 0.05, 1);
    for (const [proj, shape] of Object.entries(shapes)) base[`${modulePath(i, proj)}.weight`] = randn(next, shape, 0.04);
  }
  await mkdir(join(dir, 'base'), { recursive: true });
  await writeFile(join(dir, 'base', 'model.safetensors'), writeSafetensors(base));
  await writeFile(join(dir, 'base', 'config.json'), json({
    architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: p.vocab, hidden_size: p.hidden,
    intermediate_size: p.intermediate, num_hidden_layers: p.layers, num_attention_heads: p.heads,
    num_key_value_heads: p.kvHeads, head_dim: headDim, hidden_act: 'silu', max_position_embeddings: 2048,
    rms_norm_eps: 1e-5, rope_theta: 10000.0, rope_scaling: null, tie_word_embeddings: false, attention_bias: false,
    mlp_bias: false, bos_token_id: null, eos_token_id: null, torch_dtype: 'float32', use_cache: false,
  }));

  const adapters: Record<string, string> = {};
  for (let e = 0; e < p.experts; e++) {
    const weights: Record<string, HostTensor> = {};
    for (let i = 0; i < p.layers; i++) {
      for (const proj of p.targets) {
        const [out, inp] = shapes[proj];
        weights[`base_model.model.${modulePath(i, proj)}.lora_A.weight`] = randn(next, [p.rank, inp], 0.05);
        weights[`base_model.model.${modulePath(i, proj)}.lora_B.weight`] = randn(next, [out, p.rank], 0.05);
      }
    }
    const expertDir = join(dir, 'experts', `e${e}`);
    await mkdir(expertDir, { recursive: true });
    await writeFile(join(expertDir, 'adapter_model.safetensors'), writeSafetensors(weights));
    await writeFile(join(expertDir, 'adapter_config.json'), json({
      peft_type: 'LORA', task_type: 'CAUSAL_LM', r: p.rank, lora_alpha: 2 * p.rank, lora_dropout: 0.0, bias: 'none',
      target_modules: [...p.targets], use_rslora: false, use_dora: false, fan_in_fan_out: false, base_model_name_or_path: 'base',
    }));
    adapters[String(e)] = `experts/e${e}`;
  }
  const numLayers = p.layers * p.targets.length;
  const out = p.layerwise ? numLayers * p.experts : p.experts;
  await mkdir(join(dir, 'xlora'), { recursive: true });
  await writeFile(join(dir, 'xlora', 'adapter_model.safetensors'), writeSafetensors({
    'base_model.internal_xlora_classifier.layers.0.weight': randn(next, [out, p.hidden], 1.5 / Math.sqrt(p.hidden)),
    'base_model.internal_xlora_classifier.layers.0.bias': randn(next, [out], 0.1),
  }));
  await writeFile(join(dir, 'xlora', 'adapter_config.json'), json({
    adapters, auto_mapping: null, base_model_name_or_path: 'base', enable_softmax: true, enable_softmax_topk: false,
    global_scaling_weight: 1.0, hidden_size: p.hidden, inference_mode: true, layerwise_scalings: p.layerwise,
    peft_type: 'XLORA', peft_version: '0.18.1', revision: null, scaling_pass_value: 0.0, softmax_temperature: 1.0,
    task_type: 'CAUSAL_LM', top_k_lora: null, use_trainable_adapters: false, xlora_depth: 1, xlora_dropout_p: 0.2,
    xlora_size: 2048,
  }));
}

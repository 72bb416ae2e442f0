import type { GraphBuilder, HostTensor, Value } from '@xlora/core';
import type { BaseModelConfig } from '@xlora/config';
import type { PassInputs, PassLora } from './architecture.js';
import { passContext } from './pass-context.js';
import { architectureOf } from './registry.js';

export * from './architecture.js';
export { ARCHITECTURES, architectureOf } from './registry.js';
export { passContext } from './pass-context.js';
export { cacheNames } from './cache-names.js';
export { EMBEDDING_MODULE, LM_HEAD_MODULE } from './building/decoder.js';
export { longRope, ropeInverseFrequencies } from './building/rope-frequencies.js';
export { ATTENTION_PROJECTIONS, MLP_PROJECTIONS } from './llama/llama.js';

/** Modules LoRA can wrap (the embedding, then linears, then lm_head), in PyTorch registration order: they number the X-LoRA layers. */
export function linearModulesInOrder(config: BaseModelConfig): string[] {
  return architectureOf(config).loraModules(config).map((m) => m.path);
}

/** [in, out] features of a module LoRA can wrap. */
export function linearShape(config: BaseModelConfig, modulePath: string): { inFeatures: number; outFeatures: number } {
  const m = architectureOf(config).loraModules(config).find((x) => x.path === modulePath);
  if (!m) throw new Error(`not a LoRA-wrappable module of ${config.architecture}: ${modulePath}`);
  return { inFeatures: m.inFeatures, outFeatures: m.outFeatures };
}

/**
 * One decoder pass of the config's architecture over new tokens with a KV cache; returns the final normed hidden
 * state [B,S,H] (HF hidden_states[-1]). Constant tensors it declares (Gemma's norm offsets) go to `constants`.
 */
export function buildDecoderPass(g: GraphBuilder, config: BaseModelConfig, inputs: PassInputs, pass: string, lora: PassLora | null,
  hiddenName: string, constants: Map<string, HostTensor> = new Map()): Value {
  const ctx = passContext(g, config, inputs, pass, lora, constants);
  return g.withScope(pass, () => architectureOf(config).buildPass(ctx, hiddenName));
}

/** The config's output head over the final hidden state: [B,S',H] → [B,S',V], named "logits". */
export function buildLmHead(g: GraphBuilder, config: BaseModelConfig, hidden: Value, lora: PassLora | null,
  constants: Map<string, HostTensor> = new Map()): Value {
  const inputs = null as unknown as PassInputs; // the head reads no pass inputs
  return architectureOf(config).buildHead(passContext(g, config, inputs, 'real', lora, constants), hidden);
}

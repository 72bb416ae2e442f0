import type { HostTensor, WeightTensor } from '@xlora/core';
import type { BaseModelConfig, XLoraConfig } from '@xlora/config';
import type { ExpertWeights } from '@xlora/lora-layers';
import type { HfTextTokenizer } from '../loading/load-tokenizer.js';

/** Everything an X-LoRA model is made of, already in host memory (from a loader or built in code). */
export interface XLoraModelParts {
  baseConfig: BaseModelConfig;
  /**
   * checkpoint names → weights in any storage format (f32, or packed f16/bf16/q8_0/q4_0/q4_k/q6_k), e.g.
   * "model.layers.0.self_attn.q_proj.weight"; they go to `backend.compile` as they are
   */
  baseWeights: ReadonlyMap<string, WeightTensor>;
  xloraConfig: XLoraConfig;
  /** classifier tensors keyed "layers.<i>.weight" / "layers.<i>.bias" (PEFT's Sequential indices) */
  classifierWeights: ReadonlyMap<string, HostTensor>;
  /** for error messages, e.g. "ckpt/adapter_model.safetensors" */
  classifierFile?: string;
  /** experts in class order */
  experts: readonly ExpertWeights[];
  tokenizer?: HfTextTokenizer | null;
  /** generation defaults (eos/pad ids) */
  eosTokenIds?: readonly number[];
  padTokenId?: number | null;
}

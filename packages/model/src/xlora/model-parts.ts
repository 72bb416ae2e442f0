import type { HostTensor } from '@xlora/core';
import type { LlamaConfig, XLoraConfig } from '@xlora/config';
import type { ExpertWeights } from '@xlora/lora-layers';
import type { HfTextTokenizer } from '../loading/load-tokenizer.js';


/** Everything an X-LoRA model is made of, already in host memory (from a loader or built in code). */
export interface XLoraModelParts {
  baseConfig: LlamaConfig;
  /** checkpoint names → f32 tensors, e.g. "model.layers.0.self_attn.q_proj.weight" */
  baseWeights: ReadonlyMap<string, HostTensor>;
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

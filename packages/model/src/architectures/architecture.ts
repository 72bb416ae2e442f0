import type { GraphBuilder, HostTensor, Value } from '@xlora/core';
import type { BaseModelConfig, SupportedArchitecture } from '@xlora/config';
import type { MixtureKnobs, StackedModule } from '@xlora/lora-layers';

/** A module LoRA can wrap: its checkpoint path and [in, out] features (for the embedding: in = vocab, out = hidden). */
export interface LoraModule {
  path: string;
  kind: 'linear' | 'embedding';
  inFeatures: number;
  outFeatures: number;
}

/** A tensor a checkpoint must hold, with its shape (PyTorch [out, in] layout). */
export interface ExpectedWeight {
  name: string;
  shape: number[];
}

/** The LoRA experts applied in one pass: stacked modules by path, the scalings value and the knobs. */
export interface PassLora {
  modules: ReadonlyMap<string, { stacked: StackedModule; layer: number }>;
  /** [B|1,S|1,Lc,C] */
  scalings: Value;
  knobs: MixtureKnobs;
}

/** Shared inputs of a pass over new tokens. */
export interface PassInputs {
  /** i32 [B,S] */
  inputIds: Value;
  /** i32 [B,S] */
  positionIds: Value;
  /** i32 [B,T] */
  attentionMask: Value;
}

/** Where a pass is built: the graph, the model config, the pass's inputs, name and LoRA, and graph constants. */
export interface PassContext {
  g: GraphBuilder;
  config: BaseModelConfig;
  inputs: PassInputs;
  /** "scaling" or "real": scopes node names and names the KV caches */
  pass: string;
  lora: PassLora | null;
  /** declares a constant tensor as a graph weight (the step graph adds it to the weight map) */
  constant: (name: string, tensor: HostTensor) => Value;
  /** the architecture's choice for this graph's sequence lengths (see Architecture.variantFor), e.g. "long" */
  variant: string | null;
}

/** Every layer's KV cache: [B, kvHeads, P, headDim] keys and values for layers 0..layers-1. */
export interface KvCacheLayout {
  layers: number;
  kvHeads: number;
  headDim: number;
}

/**
 * One decoder-only architecture as data: everything the X-LoRA layer, the step graph, the caches and the loaders
 * need to know about it. Adding an architecture = one folder under architectures/ with one of these, registered in
 * registry.ts (see the package README).
 */
export interface Architecture {
  /** the config.json `architectures` entry, e.g. "LlamaForCausalLM" */
  readonly name: SupportedArchitecture;
  /**
   * LoRA-wrappable modules in PyTorch module-registration order (PEFT numbers X-LoRA layers in this order, which is
   * not always call order: Phi-3 registers o_proj before qkv_proj), with their shapes.
   */
  loraModules(config: BaseModelConfig): LoraModule[];
  /** PEFT's default target_modules for the model type (target_modules null) */
  readonly defaultLoraTargets: readonly string[];
  /** what "all-linear" selects: the Linear module names LoRA may wrap, lm_head excluded */
  readonly allLinearNames: readonly string[];
  /** a module PEFT could wrap but X-LoRA cannot run (e.g. Mixtral's MoE experts): why, else null */
  refusedLoraModule?(path: string): string | null;
  /** every checkpoint tensor with its shape, in file order, lazily (bounded by what a loader reads) */
  expectedWeights(config: BaseModelConfig): Generator<ExpectedWeight>;
  /** one pass over new tokens: embeddings, blocks (appending to the KV caches), final norm → [B,S,H] named `hiddenName` */
  buildPass(ctx: PassContext, hiddenName: string): Value;
  /** the output head over the final hidden state [B,S',H] → [B,S',V] named "logits" */
  buildHead(ctx: PassContext, hidden: Value): Value;
  kvCache(config: BaseModelConfig): KvCacheLayout;
  /**
   * When the graph depends on the sequence length (Phi-3 LongRoPE switches factors beyond the original context):
   * the variant for a call whose largest position id is `maxPosition`. Absent = one graph for every length.
   */
  variantFor?(config: BaseModelConfig, maxPosition: number): string | null;
  /** what was derived from the config, one line each, for `xlora inspect` */
  describe(config: BaseModelConfig): string[];
}

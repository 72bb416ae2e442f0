import type { HostTensor } from '@xlora/core';
import type { LoraConfig } from '@xlora/config';

/** One LoRA module of an expert: A [r, in], B [out, r] (PyTorch Linear layout). */
export interface LoraModuleWeights {
  a: HostTensor;
  b: HostTensor;
  bias?: HostTensor;
}

/** What the mixture needs of a loaded expert (structural, so any loader can provide it). */
export interface ExpertWeights {
  name: string;
  /** where it came from, for error messages */
  dir: string;
  config: LoraConfig;
  /** module path (e.g. "model.layers.0.self_attn.q_proj") -> weights */
  modules: ReadonlyMap<string, LoraModuleWeights>;
  /** embedding module path (e.g. "model.embed_tokens") -> A [r, vocab], B [hidden, r] */
  embeddings?: ReadonlyMap<string, LoraModuleWeights>;
}

/** The expert's weights for a module, linear or embedding. */
export function expertModule(e: ExpertWeights, modulePath: string): LoraModuleWeights | undefined {
  return e.modules.get(modulePath) ?? e.embeddings?.get(modulePath);
}

/** Every module path the expert has weights for. */
export function expertModulePaths(e: ExpertWeights): string[] {
  return [...e.modules.keys(), ...(e.embeddings?.keys() ?? [])];
}

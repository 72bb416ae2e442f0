import type { LlamaConfig } from '@xlora/config';

export const ATTENTION_PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as const;
export const MLP_PROJECTIONS = ['gate_proj', 'up_proj', 'down_proj'] as const;
export const EMBEDDING_MODULE = 'model.embed_tokens';

/** Modules that LoRA can wrap (the embedding, then linears), in PyTorch registration order: it numbers the X-LoRA layers. */
export function linearModulesInOrder(config: LlamaConfig): string[] {
  const paths: string[] = [EMBEDDING_MODULE];
  for (let i = 0; i < config.numHiddenLayers; i++) {
    for (const p of ATTENTION_PROJECTIONS) paths.push(`model.layers.${i}.self_attn.${p}`);
    for (const p of MLP_PROJECTIONS) paths.push(`model.layers.${i}.mlp.${p}`);
  }
  paths.push('lm_head');
  return paths;
}

/** [in, out] features of a linear module. */
export function linearShape(config: LlamaConfig, modulePath: string): { inFeatures: number; outFeatures: number } {
  const h = config.hiddenSize;
  const q = config.numAttentionHeads * config.headDim;
  const kv = config.numKeyValueHeads * config.headDim;
  const inter = config.intermediateSize;
  const name = modulePath.split('.').pop();
  switch (name) {
    case 'q_proj': return { inFeatures: h, outFeatures: q };
    case 'k_proj':
    case 'v_proj': return { inFeatures: h, outFeatures: kv };
    case 'o_proj': return { inFeatures: q, outFeatures: h };
    case 'gate_proj':
    case 'up_proj': return { inFeatures: h, outFeatures: inter };
    case 'down_proj': return { inFeatures: inter, outFeatures: h };
    case 'lm_head': return { inFeatures: h, outFeatures: config.vocabSize };
    case 'embed_tokens': return { inFeatures: config.vocabSize, outFeatures: h }; // LoRA A [r, vocab], B [hidden, r]
    default: throw new Error(`not a linear module: ${modulePath}`);
  }
}

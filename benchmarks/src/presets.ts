/** Benchmark model sizes (Llama family, random weights, written in the real HF + PEFT layout). */
export interface ModelPreset {
  name: string;
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  experts: number;
  rank: number;
  /** PEFT target modules, in PEFT's module order within a decoder layer */
  targets: readonly string[];
  layerwise: boolean;
  /**
   * How the base is written: 'f32-safetensors' (one F32 file, then converted to any GGUF format with the gguf
   * writer) or 'direct' (random blocks straight in the storage format: the real-size shapes).
   */
  generation: 'f32-safetensors' | 'direct';
  /** new tokens per timed run unless --new-tokens says otherwise */
  newTokens: number;
}

const ALL_PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
const ATTENTION_PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as const;

export const PRESETS: Record<string, ModelPreset> = {
  tiny: { name: 'tiny', vocab: 256, hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, experts: 3, rank: 4, targets: ALL_PROJECTIONS, layerwise: true, generation: 'f32-safetensors', newTokens: 32 },
  small: { name: 'small', vocab: 8192, hidden: 512, layers: 8, heads: 8, kvHeads: 4, intermediate: 1408, experts: 4, rank: 16, targets: ALL_PROJECTIONS, layerwise: true, generation: 'f32-safetensors', newTokens: 128 },
  // ≈ 100M parameters
  medium: { name: 'medium', vocab: 16384, hidden: 768, layers: 12, heads: 12, kvHeads: 4, intermediate: 2048, experts: 4, rank: 16, targets: ALL_PROJECTIONS, layerwise: true, generation: 'f32-safetensors', newTokens: 128 },
  // TinyLlama-1.1B's shape: 2.2 GB in BF16 (two shards, as the issue measured)
  tinyllama: { name: 'tinyllama', vocab: 32000, hidden: 2048, layers: 22, heads: 32, kvHeads: 4, intermediate: 5632, experts: 4, rank: 16, targets: ATTENTION_PROJECTIONS, layerwise: false, generation: 'direct', newTokens: 16 },
  // Mistral-7B's shape with the paper's 9 experts on q/k/v/o/gate: 32 × 5 = 160 X-LoRA layers, layerwise classifier
  paper: { name: 'paper', vocab: 32000, hidden: 4096, layers: 32, heads: 32, kvHeads: 8, intermediate: 14336, experts: 9, rank: 16, targets: [...ATTENTION_PROJECTIONS, 'gate_proj'], layerwise: true, generation: 'direct', newTokens: 4 },
};

export function parameterCount(p: ModelPreset): number {
  const hd = p.hidden / p.heads;
  const attn = p.hidden * (p.heads * hd) * 2 + p.hidden * (p.kvHeads * hd) * 2;
  const mlp = 3 * p.hidden * p.intermediate;
  return p.vocab * p.hidden * 2 + p.layers * (attn + mlp + 2 * p.hidden) + p.hidden;
}

/** [out, in] of each projection (transformers' nn.Linear weight shape). */
export function projectionShapes(p: ModelPreset): Record<string, [number, number]> {
  const hd = p.hidden / p.heads;
  return {
    q_proj: [p.heads * hd, p.hidden], k_proj: [p.kvHeads * hd, p.hidden], v_proj: [p.kvHeads * hd, p.hidden],
    o_proj: [p.hidden, p.heads * hd], gate_proj: [p.intermediate, p.hidden], up_proj: [p.intermediate, p.hidden],
    down_proj: [p.hidden, p.intermediate],
  };
}

/** "model.layers.3.self_attn.q_proj" (transformers' module path of a projection). */
export function modulePath(layer: number, proj: string): string {
  return `model.layers.${layer}.${['gate_proj', 'up_proj', 'down_proj'].includes(proj) ? 'mlp' : 'self_attn'}.${proj}`;
}

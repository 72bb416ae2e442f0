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
  targets: readonly string[];
  layerwise: boolean;
}

const ALL_PROJECTIONS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

export const PRESETS: Record<string, ModelPreset> = {
  tiny: { name: 'tiny', vocab: 256, hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, experts: 3, rank: 4, targets: ALL_PROJECTIONS, layerwise: true },
  small: { name: 'small', vocab: 8192, hidden: 512, layers: 8, heads: 8, kvHeads: 4, intermediate: 1408, experts: 4, rank: 16, targets: ALL_PROJECTIONS, layerwise: true },
  // ≈ 100M parameters
  medium: { name: 'medium', vocab: 16384, hidden: 768, layers: 12, heads: 12, kvHeads: 4, intermediate: 2048, experts: 4, rank: 16, targets: ALL_PROJECTIONS, layerwise: true },
};

export function parameterCount(p: ModelPreset): number {
  const hd = p.hidden / p.heads;
  const attn = p.hidden * (p.heads * hd) * 2 + p.hidden * (p.kvHeads * hd) * 2;
  const mlp = 3 * p.hidden * p.intermediate;
  return p.vocab * p.hidden * 2 + p.layers * (attn + mlp + 2 * p.hidden) + p.hidden;
}

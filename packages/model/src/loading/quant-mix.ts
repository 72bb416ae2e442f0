import { FORMAT_LAYOUT, type WeightFormat } from '@xlora/core';

/** What a weight is to llama.cpp's type rules (llama-quant.cpp `llama_tensor_get_type`). */
export type TensorRole =
  | { kind: 'output' }
  | { kind: 'token-embedding' }
  | { kind: 'attn-v'; layer: number }
  | { kind: 'ffn-down'; layer: number }
  | { kind: 'other' };

/**
 * The role of a tensor named as in transformers checkpoints ("model.layers.3.self_attn.v_proj.weight",
 * "lm_head.weight", "model.embed_tokens.weight") or in GGUF files ("blk.3.attn_v.weight", "output.weight",
 * "token_embd.weight").
 */
export function tensorRole(name: string): TensorRole {
  if (name === 'lm_head.weight' || name === 'output.weight') return { kind: 'output' };
  if (name === 'model.embed_tokens.weight' || name === 'token_embd.weight') return { kind: 'token-embedding' };
  const m = /^(?:model\.layers|blk)\.(\d+)\.(self_attn\.v_proj|attn_v|mlp\.down_proj|ffn_down)\.weight$/.exec(name);
  if (!m) return { kind: 'other' };
  const layer = Number(m[1]);
  return m[2] === 'self_attn.v_proj' || m[2] === 'attn_v' ? { kind: 'attn-v', layer } : { kind: 'ffn-down', layer };
}

/**
 * llama.cpp's `use_more_bits`: the layers whose attn_v and ffn_down Q4_K_M (and Q5_K_M) keep in Q6_K: the first
 * eighth, the last eighth, and every third layer in between (integer division, as in C).
 */
export function useMoreBits(layer: number, nLayers: number): boolean {
  const eighth = Math.floor(nLayers / 8);
  return layer < eighth || layer >= Math.floor((7 * nLayers) / 8) || (layer - eighth) % 3 === 2;
}

/**
 * The format llama.cpp's LLAMA_FTYPE_MOSTLY_Q4_K_M gives a 2-D weight, before the row-length fallback: Q6_K for
 * the output head (the token embedding when it is the head, i.e. tied), and for attn_v / ffn_down of the layers
 * `useMoreBits` picks; Q4_K for everything else. (llama.cpp also lifts a 70B model's attn_v to Q5_K and treats
 * MoE and Falcon models apart; none of that applies to the architectures loaded here.)
 */
export function q4KMFormat(role: TensorRole, nLayers: number, tiedEmbeddings: boolean): WeightFormat {
  switch (role.kind) {
    case 'output':
      return 'q6_k';
    case 'token-embedding':
      return tiedEmbeddings ? 'q6_k' : 'q4_k';
    case 'attn-v':
    case 'ffn-down':
      return useMoreBits(role.layer, nLayers) ? 'q6_k' : 'q4_k';
    default:
      return 'q4_k';
  }
}

/**
 * A format whose blocks fit rows of `rowLength` values: `wanted` when they fit, else q8_0 (32-value blocks;
 * llama.cpp takes Q8_0 for Q6_K and Q5_0 for Q4_K, which we do not have, so the fallback never has fewer bits),
 * else f16 (fits any row), as llama.cpp's final fallback.
 */
export function fittingFormat(wanted: WeightFormat, rowLength: number): WeightFormat {
  for (const f of [wanted, 'q8_0', 'f16'] as const) if (rowLength % FORMAT_LAYOUT[f].blockElems === 0) return f;
  return 'f16'; // unreachable: f16 blocks are one value
}

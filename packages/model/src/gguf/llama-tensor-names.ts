/** llama.cpp's tensor names (per block: blk.N.<name>) and the transformers module each one is. */
const BLOCK_TENSORS: Readonly<Record<string, string>> = {
  attn_norm: 'input_layernorm',
  ffn_norm: 'post_attention_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};

const TOP_TENSORS: Readonly<Record<string, string>> = {
  token_embd: 'model.embed_tokens',
  output_norm: 'model.norm',
  output: 'lm_head',
};

const HF_BLOCK = new Map(Object.entries(BLOCK_TENSORS).map(([g, h]) => [h, g]));
const HF_TOP = new Map(Object.entries(TOP_TENSORS).map(([g, h]) => [h, g]));

/** "blk.3.attn_q.weight" -> "model.layers.3.self_attn.q_proj.weight"; null for a name outside the table. */
export function hfTensorName(ggufName: string): string | null {
  const block = /^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$/.exec(ggufName);
  if (block) {
    const module = BLOCK_TENSORS[block[2]];
    return module === undefined ? null : `model.layers.${Number(block[1])}.${module}.${block[3]}`;
  }
  const top = /^([a-z_]+)\.(weight|bias)$/.exec(ggufName);
  const module = top ? TOP_TENSORS[top[1]] : undefined;
  return module === undefined ? null : `${module}.${top![2]}`;
}

/** "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight"; null outside the table. */
export function ggufTensorName(hfName: string): string | null {
  const block = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(hfName);
  if (block) {
    const name = HF_BLOCK.get(block[2]);
    return name === undefined ? null : `blk.${block[1]}.${name}.${block[3]}`;
  }
  const top = /^(.+)\.(weight|bias)$/.exec(hfName);
  const name = top ? HF_TOP.get(top[1]) : undefined;
  return name === undefined ? null : `${name}.${top![2]}`;
}

/** The llama.cpp names the table knows, for messages. */
export const KNOWN_GGUF_TENSORS = [...Object.keys(TOP_TENSORS), ...Object.keys(BLOCK_TENSORS).map((n) => `blk.N.${n}`)];

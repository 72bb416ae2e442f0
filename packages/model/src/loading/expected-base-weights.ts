import type { LlamaConfig } from '@xlora/config';

export interface ExpectedWeight {
  name: string;
  shape: number[];
}

/** Every tensor a Llama-family checkpoint must hold for `cfg`, with its shape (PyTorch [out, in] layout). */
export function expectedBaseWeights(cfg: LlamaConfig): ExpectedWeight[] {
  const H = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const q = cfg.numAttentionHeads * cfg.headDim;
  const kv = cfg.numKeyValueHeads * cfg.headDim;
  const out: ExpectedWeight[] = [{ name: 'model.embed_tokens.weight', shape: [cfg.vocabSize, H] }];
  for (let l = 0; l < cfg.numHiddenLayers; l++) {
    const p = `model.layers.${l}`;
    const lin = (name: string, o: number, i: number, bias: boolean): void => {
      out.push({ name: `${p}.${name}.weight`, shape: [o, i] });
      if (bias) out.push({ name: `${p}.${name}.bias`, shape: [o] });
    };
    out.push({ name: `${p}.input_layernorm.weight`, shape: [H] });
    lin('self_attn.q_proj', q, H, cfg.qkvBias);
    lin('self_attn.k_proj', kv, H, cfg.qkvBias);
    lin('self_attn.v_proj', kv, H, cfg.qkvBias);
    lin('self_attn.o_proj', H, q, cfg.oProjBias);
    out.push({ name: `${p}.post_attention_layernorm.weight`, shape: [H] });
    lin('mlp.gate_proj', I, H, cfg.mlpBias);
    lin('mlp.up_proj', I, H, cfg.mlpBias);
    lin('mlp.down_proj', H, I, cfg.mlpBias);
  }
  out.push({ name: 'model.norm.weight', shape: [H] });
  out.push({ name: 'lm_head.weight', shape: [cfg.vocabSize, H] });
  return out;
}

import type { LlamaConfig } from '@xlora/config';

export interface ExpectedWeight {
  name: string;
  shape: number[];
}

/**
 * Every tensor a Llama-family checkpoint must hold for `cfg`, with its shape (PyTorch [out, in] layout), in
 * file order. Lazy: a loader that stops at the first missing tensor does work bounded by the file, however large
 * `num_hidden_layers` claims to be.
 */
export function* expectedBaseWeights(cfg: LlamaConfig): Generator<ExpectedWeight> {
  const H = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const q = cfg.numAttentionHeads * cfg.headDim;
  const kv = cfg.numKeyValueHeads * cfg.headDim;
  yield { name: 'model.embed_tokens.weight', shape: [cfg.vocabSize, H] };
  for (let l = 0; l < cfg.numHiddenLayers; l++) {
    const p = `model.layers.${l}`;
    const lin = (name: string, o: number, i: number, bias: boolean): ExpectedWeight[] => [
      { name: `${p}.${name}.weight`, shape: [o, i] },
      ...(bias ? [{ name: `${p}.${name}.bias`, shape: [o] }] : []),
    ];
    yield { name: `${p}.input_layernorm.weight`, shape: [H] };
    yield* lin('self_attn.q_proj', q, H, cfg.qkvBias);
    yield* lin('self_attn.k_proj', kv, H, cfg.qkvBias);
    yield* lin('self_attn.v_proj', kv, H, cfg.qkvBias);
    yield* lin('self_attn.o_proj', H, q, cfg.oProjBias);
    yield { name: `${p}.post_attention_layernorm.weight`, shape: [H] };
    yield* lin('mlp.gate_proj', I, H, cfg.mlpBias);
    yield* lin('mlp.up_proj', I, H, cfg.mlpBias);
    yield* lin('mlp.down_proj', H, I, cfg.mlpBias);
  }
  yield { name: 'model.norm.weight', shape: [H] };
  yield { name: 'lm_head.weight', shape: [cfg.vocabSize, H] };
}

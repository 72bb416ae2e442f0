import type { GraphBuilder, Value } from '@xlora/core';
import type { LlamaConfig } from '@xlora/config';
import { addXLoraEmbeddingMixture, addXLoraMixture, type MixtureKnobs, type StackedModule } from '@xlora/lora-layers';
import { EMBEDDING_MODULE } from './architecture.js';
import { ropeInverseFrequencies } from './rope-frequencies.js';

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

/** Graph value names of one pass's KV caches ("scaling" or "real" pass). */
export function cacheNames(pass: string, layer: number) {
  return {
    pastKey: `${pass}.past.${layer}.key`,
    pastValue: `${pass}.past.${layer}.value`,
    presentKey: `${pass}.present.${layer}.key`,
    presentValue: `${pass}.present.${layer}.value`,
  };
}

/**
 * One Llama-family decoder pass over new tokens with a KV cache: embeddings, blocks (RMSNorm, attention with
 * RoPE/GQA, SwiGLU MLP), final RMSNorm. Returns the final normed hidden state [B,S,H] (HF hidden_states[-1]).
 * Every LoRA-wrapped linear goes through the X-LoRA mixture when `lora` is given.
 */
export function buildDecoderPass(
  g: GraphBuilder, config: LlamaConfig, inputs: PassInputs, pass: string, lora: PassLora | null, hiddenName: string,
): Value {
  const h = config.hiddenSize;
  const headDim = config.headDim;
  const qDim = config.numAttentionHeads * headDim;
  const kvDim = config.numKeyValueHeads * headDim;
  const invFreq = ropeInverseFrequencies(headDim, config.ropeTheta, config.ropeScaling);

  const linear = (path: string, x: Value, outFeatures: number, withBias = false): Value => {
    const w = g.weight(`${path}.weight`, [outFeatures, x.shape[x.shape.length - 1]]);
    const bias = withBias ? g.weight(`${path}.bias`, [outFeatures]) : undefined;
    const y = g.matmul(x, w, bias);
    const wrapped = lora?.modules.get(path);
    return wrapped ? addXLoraMixture(g, x, y, wrapped.stacked, wrapped.layer, lora!.scalings, lora!.knobs) : y;
  };

  return g.withScope(pass, () => {
    let x = g.gather(g.weight(`${EMBEDDING_MODULE}.weight`, [config.vocabSize, h]), inputs.inputIds); // [B,S,H]
    const embedLora = lora?.modules.get(EMBEDDING_MODULE);
    if (embedLora) x = addXLoraEmbeddingMixture(g, inputs.inputIds, x, embedLora.stacked, embedLora.layer, lora!.scalings, lora!.knobs);
    for (let i = 0; i < config.numHiddenLayers; i++) {
      const p = `model.layers.${i}`;
      x = g.withScope(`layer${i}`, () => {
        const normed = g.rmsNorm(x, g.weight(`${p}.input_layernorm.weight`, [h]), { eps: config.rmsNormEps });
        const bias = config.qkvBias;
        const ropeAttrs = { headDim, invFreq, attentionFactor: 1 };
        const q = g.rope(linear(`${p}.self_attn.q_proj`, normed, qDim, bias), inputs.positionIds, { ...ropeAttrs, numHeads: config.numAttentionHeads });
        const k = g.rope(linear(`${p}.self_attn.k_proj`, normed, kvDim, bias), inputs.positionIds, { ...ropeAttrs, numHeads: config.numKeyValueHeads });
        const v = linear(`${p}.self_attn.v_proj`, normed, kvDim, bias);
        const names = cacheNames(pass, i);
        const pastShape = ['batch', config.numKeyValueHeads, 'past', headDim];
        const pastK = g.input(names.pastKey, 'f32', pastShape);
        const pastV = g.input(names.pastValue, 'f32', pastShape);
        const [attn, presentK, presentV] = g.attention(q, k, v, pastK, pastV, inputs.attentionMask, {
          numHeads: config.numAttentionHeads, numKvHeads: config.numKeyValueHeads, headDim, scale: 1 / Math.sqrt(headDim),
        }, { presentK: names.presentKey, presentV: names.presentValue });
        g.output(names.presentKey, presentK);
        g.output(names.presentValue, presentV);
        const afterAttn = g.addT(x, linear(`${p}.self_attn.o_proj`, attn, h, config.oProjBias));
        const normed2 = g.rmsNorm(afterAttn, g.weight(`${p}.post_attention_layernorm.weight`, [h]), { eps: config.rmsNormEps });
        const gate = linear(`${p}.mlp.gate_proj`, normed2, config.intermediateSize, config.mlpBias);
        const up = linear(`${p}.mlp.up_proj`, normed2, config.intermediateSize, config.mlpBias);
        const down = linear(`${p}.mlp.down_proj`, g.siluMul(gate, up), h, config.mlpBias);
        return g.addT(afterAttn, down);
      });
    }
    return g.rmsNorm(x, g.weight('model.norm.weight', [h]), { eps: config.rmsNormEps }, hiddenName);
  });
}

/** lm_head over the final hidden state (optionally LoRA-wrapped): [B,S',H] → [B,S',V], named "logits". */
export function buildLmHead(g: GraphBuilder, config: LlamaConfig, hidden: Value, lora: PassLora | null): Value {
  const w = g.weight('lm_head.weight', [config.vocabSize, config.hiddenSize]);
  const wrapped = lora?.modules.get('lm_head');
  if (!wrapped) return g.matmul(hidden, w, undefined, 'logits');
  const y = g.matmul(hidden, w);
  return addXLoraMixture(g, hidden, y, wrapped.stacked, wrapped.layer, lora!.scalings, lora!.knobs, 'logits');
}

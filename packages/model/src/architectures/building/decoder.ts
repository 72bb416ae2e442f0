import { f32, type Value } from '@xlora/core';
import { addXLoraEmbeddingMixture, addXLoraMixture } from '@xlora/lora-layers';
import type { PassContext } from '../architecture.js';

export const EMBEDDING_MODULE = 'model.embed_tokens';
export const LM_HEAD_MODULE = 'lm_head';

/** Token embeddings [B,S,H] (with the embedding's LoRA), times `scale` when given (Gemma: √hidden in f32). */
export function embedTokens(ctx: PassContext, scale: number | null = null): Value {
  const { g, config, inputs, lora } = ctx;
  let x = g.gather(g.weight(`${EMBEDDING_MODULE}.weight`, [config.vocabSize, config.hiddenSize]), inputs.inputIds); // [B,S,H]
  const embedLora = lora?.modules.get(EMBEDDING_MODULE);
  if (embedLora) x = addXLoraEmbeddingMixture(g, inputs.inputIds, x, embedLora.stacked, embedLora.layer, lora!.scalings, lora!.knobs);
  if (scale !== null) x = g.mul(x, ctx.constant(`const.embed_scale`, f32([1], [scale])));
  return x;
}

/** The blocks 0..L-1 in order, each in its own name scope: x [B,S,H] → [B,S,H]. */
export function decoderLayers(ctx: PassContext, x: Value, block: (x: Value, layer: number, prefix: string) => Value): Value {
  for (let i = 0; i < ctx.config.numHiddenLayers; i++) {
    const prefix = `model.layers.${i}`;
    x = ctx.g.withScope(`layer${i}`, () => block(x, i, prefix));
  }
  return x;
}

/** lm_head over the final hidden state (optionally LoRA-wrapped, optionally softcapped): [B,S',H] → [B,S',V] "logits". */
export function lmHead(ctx: PassContext, hidden: Value, softcap: number | null = null): Value {
  const { g, config, lora } = ctx;
  const w = g.weight(`${LM_HEAD_MODULE}.weight`, [config.vocabSize, config.hiddenSize]);
  const wrapped = lora?.modules.get(LM_HEAD_MODULE);
  const name = softcap === null ? 'logits' : undefined;
  let y = wrapped ? g.matmul(hidden, w) : g.matmul(hidden, w, undefined, name);
  if (wrapped) y = addXLoraMixture(g, hidden, y, wrapped.stacked, wrapped.layer, lora!.scalings, lora!.knobs, name);
  return softcap === null ? y : g.softcap(y, softcap, 'logits');
}

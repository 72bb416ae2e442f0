import type { BaseModelConfig } from '@xlora/config';
import type { ExpectedWeight, LoraModule } from '../architecture.js';
import { EMBEDDING_MODULE, LM_HEAD_MODULE } from './decoder.js';

/** A linear module of one block: path below `model.layers.<i>.`, [in, out], bias. */
export interface BlockLinear {
  name: string;
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
}

/** Embedding, every block's linears (`perLayer`, in registration order), lm_head: the X-LoRA layer candidates. */
export function loraModuleTable(config: BaseModelConfig, perLayer: readonly BlockLinear[]): LoraModule[] {
  const h = config.hiddenSize;
  const out: LoraModule[] = [{ path: EMBEDDING_MODULE, kind: 'embedding', inFeatures: config.vocabSize, outFeatures: h }];
  for (let i = 0; i < config.numHiddenLayers; i++) {
    for (const m of perLayer) out.push({ path: `model.layers.${i}.${m.name}`, kind: 'linear', inFeatures: m.inFeatures, outFeatures: m.outFeatures });
  }
  out.push({ path: LM_HEAD_MODULE, kind: 'linear', inFeatures: h, outFeatures: config.vocabSize });
  return out;
}

/** weight [out, in] (+ bias [out]) of a linear below `prefix` */
export function linearWeights(prefix: string, m: BlockLinear): ExpectedWeight[] {
  return [
    { name: `${prefix}.${m.name}.weight`, shape: [m.outFeatures, m.inFeatures] },
    ...(m.bias ? [{ name: `${prefix}.${m.name}.bias`, shape: [m.outFeatures] }] : []),
  ];
}

/** norm weight [H] below `prefix` */
export function normWeight(prefix: string, name: string, config: BaseModelConfig): ExpectedWeight {
  return { name: `${prefix}.${name}.weight`, shape: [config.hiddenSize] };
}

/** embed_tokens first, then the blocks (`perLayer` in file order), model.norm, lm_head: a checkpoint's tensors. */
export function* decoderWeights(config: BaseModelConfig, perLayer: (prefix: string) => Iterable<ExpectedWeight>): Generator<ExpectedWeight> {
  yield { name: `${EMBEDDING_MODULE}.weight`, shape: [config.vocabSize, config.hiddenSize] };
  for (let l = 0; l < config.numHiddenLayers; l++) yield* perLayer(`model.layers.${l}`);
  yield { name: 'model.norm.weight', shape: [config.hiddenSize] };
  yield { name: `${LM_HEAD_MODULE}.weight`, shape: [config.vocabSize, config.hiddenSize] };
}

/** A few common lines for `describe`. */
export function describeCommon(config: BaseModelConfig): string[] {
  const c = config;
  const lines = [
    `${c.numHiddenLayers} layers, hidden ${c.hiddenSize}, ${c.numAttentionHeads} heads of ${c.headDim}` +
      (c.numKeyValueHeads !== c.numAttentionHeads ? `, ${c.numKeyValueHeads} KV heads (grouped-query attention)` : ''),
    `vocabulary ${c.vocabSize}, context ${c.maxPositionEmbeddings}, head ${c.tieWordEmbeddings ? 'tied to the embedding' : 'separate (lm_head.weight)'}`,
  ];
  const r = c.ropeScaling;
  lines.push(`RoPE theta ${c.ropeTheta}` + (r === null ? '' : r.ropeType === 'linear' ? `, linear scaling ×${r.factor}` : r.ropeType === 'llama3'
    ? `, llama3 scaling (factor ${r.factor}, low/high freq factors ${r.lowFreqFactor}/${r.highFreqFactor}, original context ${r.originalMaxPositionEmbeddings})`
    : `, LongRoPE (short factors up to ${c.originalMaxPositionEmbeddings} positions, long beyond)`));
  return lines;
}

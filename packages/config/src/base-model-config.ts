import { InputError } from '@xlora/core';
import { expectObject, FieldReader, isInt, showValue } from './json-fields.js';
import { parseRopeScaling, type RopeScaling } from './rope-scaling.js';

export const SUPPORTED_ARCHITECTURES = ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM'] as const;
export type SupportedArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

const ARCH_BY_MODEL_TYPE: Record<string, SupportedArchitecture> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
};

export type TokenIds = number | number[] | null;

/** A Llama-family base model's HF `config.json` (Llama, Mistral, Qwen2), camelCase, with transformers' defaults. */
export interface LlamaConfig {
  architecture: SupportedArchitecture;
  /** `architectures` as written (null when absent). */
  architectures: string[] | null;
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /**
   * The attention projections have biases: Llama per `attention_bias` (q/k/v/o), Qwen2 always (q/k/v only,
   * whatever the field says), Mistral never (transformers ignores the field). See qkvBias / oProjBias.
   */
  attentionBias: boolean;
  /** q/k/v projections have a bias: Qwen2 always, Llama when attention_bias, Mistral never. */
  qkvBias: boolean;
  /** o_proj has a bias: Llama when attention_bias, otherwise never. */
  oProjBias: boolean;
  /** gate/up/down projections have a bias (Llama `mlp_bias`). */
  mlpBias: boolean;
  hiddenAct: 'silu';
  /** Sliding-window attention size when active (Mistral `sliding_window`; Qwen2 only with `use_sliding_window`). */
  slidingWindow: number | null;
  bosTokenId: number | null;
  /** One id or several (e.g. Llama 3 instruct lists two). */
  eosTokenId: TokenIds;
  padTokenId: number | null;
  torchDtype: string | null;
  /** The whole file, untouched. */
  raw: Record<string, unknown>;
}

/** Parses a base model's `config.json`; unsupported architectures, activations and rope types are InputErrors. */
export function parseBaseModelConfig(json: unknown, file: string): LlamaConfig {
  const obj = expectObject(json, file);
  const r: FieldReader = new FieldReader(obj, file);
  const architectures = r.nullableStringList('architectures');
  const modelType = r.str('model_type', '');
  const architecture = pickArchitecture(architectures, modelType, file);

  const hiddenSize = r.int('hidden_size', 4096, 1);
  const numAttentionHeads = r.int('num_attention_heads', 32, 1);
  const numKeyValueHeads = r.nullableInt('num_key_value_heads', null, 1) ?? numAttentionHeads;
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    r.fail('num_key_value_heads', `a divisor of num_attention_heads (${numAttentionHeads})`);
  }
  let headDim = r.nullableInt('head_dim', null, 1);
  if (headDim === null) {
    if (hiddenSize % numAttentionHeads !== 0) {
      throw new InputError(`${file}: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numAttentionHeads} and "head_dim" is not set`);
    }
    headDim = hiddenSize / numAttentionHeads;
  }
  const hiddenAct = r.str('hidden_act', 'silu');
  if (hiddenAct !== 'silu') r.fail('hidden_act', '"silu" (the only activation supported)');
  const attentionBias = r.bool('attention_bias', false);
  const rope = readRope(r, file);
  const useSlidingWindow = r.nullableBool('use_sliding_window', null);
  const window = r.nullableInt('sliding_window', null, 1);
  const slidingWindow = architecture === 'Qwen2ForCausalLM' ? (useSlidingWindow ? window : null) : architecture === 'MistralForCausalLM' ? window : null;

  return {
    architecture,
    architectures,
    modelType: modelType || architecture.replace('ForCausalLM', '').toLowerCase(),
    vocabSize: r.int('vocab_size', 32000, 1),
    hiddenSize,
    intermediateSize: r.int('intermediate_size', 11008, 1),
    numHiddenLayers: r.int('num_hidden_layers', 32, 1),
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    rmsNormEps: r.num('rms_norm_eps', 1e-6, { ok: (e) => e > 0, expected: 'a number > 0' }),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    maxPositionEmbeddings: r.int('max_position_embeddings', 2048, 1),
    tieWordEmbeddings: r.bool('tie_word_embeddings', false),
    attentionBias: architecture === 'Qwen2ForCausalLM' || (architecture === 'LlamaForCausalLM' && attentionBias),
    qkvBias: architecture === 'Qwen2ForCausalLM' || (architecture === 'LlamaForCausalLM' && attentionBias),
    oProjBias: architecture === 'LlamaForCausalLM' && attentionBias,
    mlpBias: r.bool('mlp_bias', false),
    hiddenAct: 'silu',
    slidingWindow,
    bosTokenId: r.nullableInt('bos_token_id', null),
    eosTokenId: readTokenIds(r, 'eos_token_id'),
    padTokenId: r.nullableInt('pad_token_id', null),
    torchDtype: r.nullableStr('torch_dtype', null) ?? r.nullableStr('dtype', null),
    raw: { ...obj },
  };
}

function pickArchitecture(architectures: string[] | null, modelType: string, file: string): SupportedArchitecture {
  const supported = SUPPORTED_ARCHITECTURES.join(', ');
  if (architectures && architectures.length > 0) {
    const hit = architectures.find((a): a is SupportedArchitecture => (SUPPORTED_ARCHITECTURES as readonly string[]).includes(a));
    if (hit) return hit;
    throw new InputError(`${file}: unsupported architecture ${architectures.join(', ')} (supported: ${supported})`);
  }
  const byType = ARCH_BY_MODEL_TYPE[modelType];
  if (byType) return byType;
  throw new InputError(
    `${file}: unsupported architecture: no "architectures" and model_type ${showValue(modelType || undefined)} (supported: ${supported})`,
  );
}

function readRope(r: FieldReader, file: string): { theta: number; scaling: RopeScaling | null } {
  // transformers >= 5 nests both in rope_parameters; older files have rope_theta + rope_scaling.
  const params = r.nullableObject('rope_parameters', null);
  const thetaRaw = params?.rope_theta ?? r.raw('rope_theta');
  if (thetaRaw !== undefined && thetaRaw !== null && (typeof thetaRaw !== 'number' || !(thetaRaw > 0))) {
    r.fail('rope_theta', 'a number > 0', thetaRaw);
  }
  const theta = typeof thetaRaw === 'number' ? thetaRaw : 10000;
  const scaling = params ? parseRopeScaling(params, file, 'rope_parameters') : parseRopeScaling(r.raw('rope_scaling'), file);
  return { theta, scaling };
}

export function readTokenIds(r: FieldReader, key: string): TokenIds {
  const v = r.raw(key);
  if (v === undefined || v === null) return null;
  if (isInt(v) && v >= 0) return v;
  if (Array.isArray(v) && v.every((n) => isInt(n) && n >= 0)) return [...(v as number[])];
  r.fail(key, 'a token id, a list of token ids or null');
}

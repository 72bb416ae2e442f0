import { InputError } from '@xlora/core';
import { expectObject, FieldReader, isInt, showValue } from './json-fields.js';
import { parseRopeScaling, type RopeScaling, type RopeType } from './rope-scaling.js';
import { ARCHITECTURE_RULES, SUPPORTED_ARCHITECTURES, type ArchitectureRules, type SupportedArchitecture } from './architecture-rules.js';

export { SUPPORTED_ARCHITECTURES, type SupportedArchitecture } from './architecture-rules.js';

export type TokenIds = number | number[] | null;

/** MLP activations the models use: SiLU (SwiGLU) and GELU with the tanh approximation (GeGLU). */
export type HiddenAct = 'silu' | 'gelu_pytorch_tanh';

/**
 * A decoder-only base model's HF `config.json`, camelCase, with transformers' defaults for its architecture.
 * Fields that only some architectures have are null elsewhere; what the model does with them is the architecture's
 * business (packages/model/src/architectures).
 */
export interface BaseModelConfig {
  architecture: SupportedArchitecture;
  /** `architectures` as written (null when absent). */
  architectures: string[] | null;
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  /** per-expert MLP width for Mixtral */
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  maxPositionEmbeddings: number;
  /** Phi-3: the pre-training context, where LongRoPE switches from the short to the long factors. */
  originalMaxPositionEmbeddings: number | null;
  tieWordEmbeddings: boolean;
  /**
   * The attention projections have biases: Llama per `attention_bias` (q/k/v/o), Qwen2 always (q/k/v only,
   * whatever the field says), the others never. See qkvBias / oProjBias.
   */
  attentionBias: boolean;
  /** q/k/v projections have a bias: Qwen2 always, Llama when attention_bias, Mistral never. */
  qkvBias: boolean;
  /** o_proj has a bias: Llama when attention_bias, otherwise never. */
  oProjBias: boolean;
  /** gate/up/down projections have a bias (Llama `mlp_bias`). */
  mlpBias: boolean;
  /** the MLP activation (Gemma: `hidden_activation`, which transformers reads instead of `hidden_act`) */
  hiddenAct: HiddenAct;
  /**
   * Sliding-window attention size when active (Mistral, Mixtral, Phi-3 `sliding_window`; Qwen2 only with
   * `use_sliding_window`; Gemma 2 on its even layers). A query sees the `slidingWindow` most recent positions.
   */
  slidingWindow: number | null;
  /** Gemma 2: `attn_logit_softcapping` (scores → tanh(scores / c) · c before the mask), else null */
  attnLogitSoftcapping: number | null;
  /** Gemma 2: `final_logit_softcapping` (logits → tanh(logits / c) · c), else null */
  finalLogitSoftcapping: number | null;
  /** Gemma 2: attention scale is query_pre_attn_scalar^-0.5 instead of head_dim^-0.5; else null */
  queryPreAttnScalar: number | null;
  /** Mixtral: experts per MoE block (`num_local_experts`), else null */
  numLocalExperts: number | null;
  /** Mixtral: experts each token is routed to (`num_experts_per_tok`), else null */
  numExpertsPerTok: number | null;
  bosTokenId: number | null;
  /** One id or several (e.g. Llama 3 instruct lists two). */
  eosTokenId: TokenIds;
  padTokenId: number | null;
  torchDtype: string | null;
  /** The whole file, untouched. */
  raw: Record<string, unknown>;
}

/** @deprecated the Llama-only name of BaseModelConfig */
export type LlamaConfig = BaseModelConfig;

/** Parses a base model's `config.json`; unsupported architectures, activations, rope types and options are InputErrors. */
export function parseBaseModelConfig(json: unknown, file: string): BaseModelConfig {
  const obj = expectObject(json, file);
  const r: FieldReader = new FieldReader(obj, file);
  const architectures = r.nullableStringList('architectures');
  const modelType = r.str('model_type', '');
  const architecture = pickArchitecture(architectures, modelType, file);
  const rules = ARCHITECTURE_RULES[architecture];
  const d = rules.defaults;

  for (const [key, why] of Object.entries(rules.refused ?? {})) {
    const v = r.raw(key);
    if (v !== undefined && v !== null && !why.allowed(v)) r.fail(key, why.expected);
  }
  const hiddenSize = r.int('hidden_size', d.hiddenSize, 1);
  const numAttentionHeads = r.int('num_attention_heads', d.numAttentionHeads, 1);
  const numKeyValueHeads = r.nullableInt('num_key_value_heads', null, 1) ?? d.numKeyValueHeads ?? numAttentionHeads;
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    r.fail('num_key_value_heads', `a divisor of num_attention_heads (${numAttentionHeads})`);
  }
  let headDim = r.nullableInt('head_dim', null, 1) ?? d.headDim;
  if (headDim === null) {
    if (hiddenSize % numAttentionHeads !== 0) {
      throw new InputError(`${file}: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numAttentionHeads} and "head_dim" is not set`);
    }
    headDim = hiddenSize / numAttentionHeads;
  }
  if (headDim % 2 !== 0) r.fail('head_dim', 'an even number (rotary embeddings rotate pairs)', headDim);
  const hiddenAct = readActivation(r, rules);
  const attentionBias = r.bool('attention_bias', false);
  const rope = readRope(r, file, rules, headDim);
  const maxPositionEmbeddings = r.int('max_position_embeddings', d.maxPositionEmbeddings, 1);
  const window = readSlidingWindow(r, rules, architecture, d.slidingWindow);
  const gemma2 = architecture === 'Gemma2ForCausalLM';
  const softcap = (key: string, fallback: number | null) => r.nullableNum(key, fallback, { ok: (c) => c > 0, expected: 'a number > 0' });
  const moe = architecture === 'MixtralForCausalLM';
  const numLocalExperts = moe ? r.int('num_local_experts', 8, 1) : null;
  const numExpertsPerTok = moe ? r.int('num_experts_per_tok', 2, 1) : null;
  if (numLocalExperts !== null && numExpertsPerTok !== null && numExpertsPerTok > numLocalExperts) {
    r.fail('num_experts_per_tok', `at most num_local_experts (${numLocalExperts})`);
  }
  const llama = architecture === 'LlamaForCausalLM';
  const qwen2 = architecture === 'Qwen2ForCausalLM';

  return {
    architecture,
    architectures,
    modelType: modelType || rules.modelTypes[0],
    vocabSize: r.int('vocab_size', d.vocabSize, 1),
    hiddenSize,
    intermediateSize: r.int('intermediate_size', d.intermediateSize, 1),
    numHiddenLayers: r.int('num_hidden_layers', d.numHiddenLayers, 1),
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    rmsNormEps: r.num('rms_norm_eps', d.rmsNormEps, { ok: (e) => e > 0, expected: 'a number > 0' }),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    maxPositionEmbeddings,
    originalMaxPositionEmbeddings: architecture === 'Phi3ForCausalLM' ? r.int('original_max_position_embeddings', maxPositionEmbeddings, 1) : null,
    tieWordEmbeddings: r.bool('tie_word_embeddings', d.tieWordEmbeddings),
    attentionBias: qwen2 || (llama && attentionBias),
    qkvBias: qwen2 || (llama && attentionBias),
    oProjBias: llama && attentionBias,
    mlpBias: llama ? r.bool('mlp_bias', false) : false,
    hiddenAct,
    slidingWindow: window,
    attnLogitSoftcapping: gemma2 ? softcap('attn_logit_softcapping', 50) : null,
    finalLogitSoftcapping: gemma2 ? softcap('final_logit_softcapping', 30) : null,
    queryPreAttnScalar: gemma2 ? r.num('query_pre_attn_scalar', 256, { ok: (q) => q > 0, expected: 'a number > 0' }) : null,
    numLocalExperts,
    numExpertsPerTok,
    bosTokenId: r.nullableInt('bos_token_id', null),
    eosTokenId: readTokenIds(r, 'eos_token_id'),
    padTokenId: r.nullableInt('pad_token_id', null),
    torchDtype: r.nullableStr('torch_dtype', null) ?? r.nullableStr('dtype', null),
    raw: { ...obj },
  };
}

function supportedList(): string {
  return SUPPORTED_ARCHITECTURES.join(', ');
}

function pickArchitecture(architectures: string[] | null, modelType: string, file: string): SupportedArchitecture {
  if (architectures && architectures.length > 0) {
    const hit = architectures.find((a): a is SupportedArchitecture => (SUPPORTED_ARCHITECTURES as readonly string[]).includes(a));
    if (hit) return hit;
    throw new InputError(`${file}: unsupported architecture ${architectures.join(', ')} (supported: ${supportedList()})`);
  }
  const byType = SUPPORTED_ARCHITECTURES.find((a) => ARCHITECTURE_RULES[a].modelTypes.includes(modelType));
  if (byType) return byType;
  throw new InputError(
    `${file}: unsupported architecture: no "architectures" and model_type ${showValue(modelType || undefined)} (supported: ${supportedList()})`,
  );
}

function readActivation(r: FieldReader, rules: ArchitectureRules): HiddenAct {
  const key = rules.activationField;
  const v = r.raw(key);
  const act = v === undefined || v === null ? rules.defaults.hiddenAct : v;
  if (key !== 'hidden_act') r.raw('hidden_act'); // Gemma: written too, but transformers ignores it
  if (act !== rules.defaults.hiddenAct) r.fail(key, `${showValue(rules.defaults.hiddenAct)} (the only activation supported for ${rules.modelTypes[0]})`, v);
  return act as HiddenAct;
}

function readSlidingWindow(r: FieldReader, rules: ArchitectureRules, architecture: SupportedArchitecture, fallback: number | null): number | null {
  const window = r.nullableInt('sliding_window', fallback, 1);
  if (!rules.slidingWindow) return null;
  if (architecture === 'Qwen2ForCausalLM') return r.nullableBool('use_sliding_window', null) ? window : null;
  return window;
}

function readRope(r: FieldReader, file: string, rules: ArchitectureRules, headDim: number): { theta: number; scaling: RopeScaling | null } {
  // transformers >= 5 nests both in rope_parameters; older files have rope_theta + rope_scaling.
  const params = r.nullableObject('rope_parameters', null);
  const thetaRaw = params?.rope_theta ?? r.raw('rope_theta');
  if (thetaRaw !== undefined && thetaRaw !== null && (typeof thetaRaw !== 'number' || !(thetaRaw > 0))) {
    r.fail('rope_theta', 'a number > 0', thetaRaw);
  }
  const theta = typeof thetaRaw === 'number' ? thetaRaw : rules.defaults.ropeTheta;
  const field = params ? 'rope_parameters' : 'rope_scaling';
  const scaling = params ? parseRopeScaling(params, file, field) : parseRopeScaling(r.raw('rope_scaling'), file);
  if (scaling && !rules.ropeTypes.includes(scaling.ropeType)) {
    throw new InputError(`${file}: field "${field}" has rope type ${showValue(scaling.ropeType)}, which ${rules.modelTypes[0]} does not use (supported: ${rules.ropeTypes.join(', ') || 'none'}, or null)`);
  }
  if (scaling?.ropeType === 'longrope') {
    for (const [key, list] of [['short_factor', scaling.shortFactor], ['long_factor', scaling.longFactor]] as const) {
      if (list.length !== headDim / 2) throw new InputError(`${file}: field "${field}.${key}" has ${list.length} entries; head_dim ${headDim} needs ${headDim / 2}`);
    }
  }
  return { theta, scaling };
}

export function readTokenIds(r: FieldReader, key: string): TokenIds {
  const v = r.raw(key);
  if (v === undefined || v === null) return null;
  if (isInt(v) && v >= 0) return v;
  if (Array.isArray(v) && v.every((n) => isInt(n) && n >= 0)) return [...(v as number[])];
  r.fail(key, 'a token id, a list of token ids or null');
}

export type { RopeType };

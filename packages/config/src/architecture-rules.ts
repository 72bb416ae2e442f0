import type { RopeType } from './rope-scaling.js';

/** The `architectures` entries of config.json that can be loaded, in the order error messages list them. */
export const SUPPORTED_ARCHITECTURES = [
  'LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM', 'GemmaForCausalLM', 'Gemma2ForCausalLM', 'Phi3ForCausalLM',
  'MixtralForCausalLM',
] as const;
export type SupportedArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

/** transformers' defaults (its configuration_<model>.py, v4.47) for fields a config.json may leave out. */
interface Defaults {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** null: num_attention_heads */
  numKeyValueHeads: number | null;
  /** null: hidden_size / num_attention_heads */
  headDim: number | null;
  rmsNormEps: number;
  ropeTheta: number;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  hiddenAct: 'silu' | 'gelu_pytorch_tanh';
  slidingWindow: number | null;
}

/** How config.json is read for one architecture. */
export interface ArchitectureRules {
  /** model_type values (the first is the canonical one) */
  modelTypes: readonly string[];
  defaults: Defaults;
  /** the field naming the MLP activation */
  activationField: 'hidden_act' | 'hidden_activation';
  /** rope_scaling types transformers implements for it (4.47) */
  ropeTypes: readonly RopeType[];
  /** it has sliding-window attention */
  slidingWindow: boolean;
  /** options transformers has that are not implemented here: a value outside `allowed` is an InputError */
  refused?: Record<string, { allowed: (v: unknown) => boolean; expected: string }>;
}

const LLAMA_DEFAULTS: Defaults = {
  vocabSize: 32000, hiddenSize: 4096, intermediateSize: 11008, numHiddenLayers: 32, numAttentionHeads: 32, numKeyValueHeads: null,
  headDim: null, rmsNormEps: 1e-6, ropeTheta: 10000, maxPositionEmbeddings: 2048, tieWordEmbeddings: false, hiddenAct: 'silu',
  slidingWindow: null,
};

export const ARCHITECTURE_RULES: Record<SupportedArchitecture, ArchitectureRules> = {
  LlamaForCausalLM: { modelTypes: ['llama'], defaults: LLAMA_DEFAULTS, activationField: 'hidden_act', ropeTypes: ['linear', 'llama3'], slidingWindow: false },
  MistralForCausalLM: { modelTypes: ['mistral'], defaults: LLAMA_DEFAULTS, activationField: 'hidden_act', ropeTypes: ['linear', 'llama3'], slidingWindow: true },
  Qwen2ForCausalLM: { modelTypes: ['qwen2'], defaults: LLAMA_DEFAULTS, activationField: 'hidden_act', ropeTypes: ['linear', 'llama3'], slidingWindow: true },
  GemmaForCausalLM: {
    modelTypes: ['gemma'],
    defaults: { ...LLAMA_DEFAULTS, vocabSize: 256000, hiddenSize: 3072, intermediateSize: 24576, numHiddenLayers: 28, numAttentionHeads: 16, headDim: 256, maxPositionEmbeddings: 8192, tieWordEmbeddings: true, hiddenAct: 'gelu_pytorch_tanh' },
    activationField: 'hidden_activation', ropeTypes: [], slidingWindow: false,
  },
  Gemma2ForCausalLM: {
    modelTypes: ['gemma2'],
    defaults: { ...LLAMA_DEFAULTS, vocabSize: 256000, hiddenSize: 2304, intermediateSize: 9216, numHiddenLayers: 26, numAttentionHeads: 8, numKeyValueHeads: 4, headDim: 256, maxPositionEmbeddings: 8192, tieWordEmbeddings: true, hiddenAct: 'gelu_pytorch_tanh', slidingWindow: 4096 },
    activationField: 'hidden_activation', ropeTypes: [], slidingWindow: true,
  },
  Phi3ForCausalLM: {
    modelTypes: ['phi3'],
    defaults: { ...LLAMA_DEFAULTS, vocabSize: 32064, hiddenSize: 3072, intermediateSize: 8192, rmsNormEps: 1e-5, maxPositionEmbeddings: 4096 },
    activationField: 'hidden_act', ropeTypes: ['longrope'], slidingWindow: true,
    refused: { partial_rotary_factor: { allowed: (v) => v === 1, expected: '1.0 (partial rotary embeddings are not supported; transformers 4.47 Phi-3 rotates the whole head)' } },
  },
  MixtralForCausalLM: {
    modelTypes: ['mixtral'],
    defaults: { ...LLAMA_DEFAULTS, intermediateSize: 14336, numKeyValueHeads: 8, rmsNormEps: 1e-5, ropeTheta: 1e6, maxPositionEmbeddings: 4096 * 32 },
    activationField: 'hidden_act', ropeTypes: ['linear', 'llama3'], slidingWindow: true,
  },
};

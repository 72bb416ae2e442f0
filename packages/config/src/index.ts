export { FieldReader, expectObject, isPlainObject, showValue, sortKeys } from './json-fields.js';
export type { PeftCommonFields } from './peft-common.js';
export {
  XLORA_DEFAULTS,
  adapterEntries,
  effectiveScalingPassValue,
  parseXLoraConfig,
  serializeXLoraConfig,
  type Warn,
  type XLoraConfig,
} from './xlora-config.js';
export { parseOriginalXLoraConfig, type OriginalXLoraConfig } from './original-xlora-config.js';
export { LORA_DEFAULTS, parseLoraConfig, serializeLoraConfig, type LoraBias, type LoraConfig } from './lora-config.js';
export { fullMatch, layerIndexOf, matchesModuleSpec } from './module-match.js';
export { DEFAULT_LLAMA_TARGETS, targetsModule } from './targets-module.js';
export { loraAlphaFor, loraRank, loraScaling, patternKeyFor } from './lora-scaling.js';
export { SUPPORTED_ROPE_TYPES, parseRopeScaling, type RopeScaling, type RopeType } from './rope-scaling.js';
export { ARCHITECTURE_RULES, type ArchitectureRules } from './architecture-rules.js';
export {
  SUPPORTED_ARCHITECTURES,
  parseBaseModelConfig,
  type BaseModelConfig,
  type HiddenAct,
  type LlamaConfig,
  type SupportedArchitecture,
  type TokenIds,
} from './base-model-config.js';
export { parseGenerationConfig, tokenIdList, type GenerationConfig } from './generation-config.js';

export type { FileSource, ReadProgress } from './file-source.js';
export { nodeFileSource } from './node-file-source.js';
export { urlFileSource } from './url-file-source.js';
export { mapFileSource } from './map-file-source.js';
export { basename, isAbsolutePath, joinPath, normalizePath } from './posix-path.js';
export { readJsonFile, readOptionalJsonFile } from './read-json.js';
export {
  FLOAT_DTYPES,
  INT_DTYPES,
  READABLE_DTYPES,
  SAFETENSORS_ITEM_SIZE,
  bf16ToF32,
  f16ToF32,
  halfToFloatBits,
  isSafetensorsDType,
  type SafetensorsDType,
} from './safetensors-dtypes.js';
export { missingTensorMessage, type TensorInfo, type TensorSource } from './tensor-source.js';
export { MAX_HEADER_BYTES, parseSafetensors, type SafetensorsFile } from './safetensors-file.js';
export { loadWeightSet, type LoadProgress, type WeightSet } from './weight-set.js';
export { expectedBaseWeights, type ExpectedWeight } from './expected-base-weights.js';
export { loadBaseModel, type LoadedBaseModel } from './load-base-model.js';
export { loadTokenizer, type HfTextTokenizer } from './load-tokenizer.js';
export { parseLoraKey, type LoraKey } from './lora-weight-keys.js';
export {
  loadLoraExpert,
  type LoadLoraExpertOptions,
  type LoadedLoraEmbedding,
  type LoadedLoraExpert,
  type LoadedLoraModule,
} from './load-lora-expert.js';
export { originalClassifierToPeft } from './original-classifier-keys.js';
export { loadXLoraCheckpoint, type LoadXLoraCheckpointOptions, type LoadedXLoraCheckpoint } from './load-xlora-checkpoint.js';
export { applyChatTemplate, type ChatMessage } from './chat-template.js';

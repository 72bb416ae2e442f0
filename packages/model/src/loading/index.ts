export { openRandomAccess, type FileSource, type RandomAccessFile, type ReadProgress } from './file-source.js';
export { nodeFileSource } from './node-file-source.js';
export { urlFileSource, type UrlFileSourceOptions } from './url-file-source.js';
export { mapFileSource } from './map-file-source.js';
export { basename, isAbsolutePath, joinPath, normalizePath } from './posix-path.js';
export { readJsonFile, readOptionalJsonFile } from './read-json.js';
export {
  FLOAT_DTYPES,
  INT_DTYPES,
  READABLE_DTYPES,
  SAFETENSORS_ITEM_SIZE,
  isSafetensorsDType,
  type SafetensorsDType,
} from './safetensors-dtypes.js';
export { missingTensorMessage, type TensorInfo, type TensorSource } from './tensor-source.js';
export { MAX_HEADER_BYTES, parseSafetensorsHeader, safetensorsHeaderLength, type SafetensorsEntry, type SafetensorsLayout } from './safetensors-header.js';
export { parseSafetensors, type SafetensorsFile } from './safetensors-file.js';
export { openSafetensors, type SafetensorsRangeFile } from './safetensors-range-file.js';
export { readWeightAs } from './read-weight-as.js';
export { LOAD_DTYPES, chooseWeightFormat, isLoadDtype, type LoadDtype, type WeightFormatChoice } from './load-dtype.js';
export { fittingFormat, q4KMFormat, tensorRole, useMoreBits, type TensorRole } from './quant-mix.js';
export { loadWeightSet, type LoadProgress, type WeightSet } from './weight-set.js';
export { expectedBaseWeights, type ExpectedWeight } from './expected-base-weights.js';
export { loadBaseModel, type LoadBaseModelOptions, type LoadedBaseModel } from './load-base-model.js';
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

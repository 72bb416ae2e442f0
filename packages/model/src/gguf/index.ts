export { GgufError, type GgufErrorReason } from './gguf-error.js';
export { GGUF_LIMITS } from './gguf-limits.js';
export {
  GGML_TYPE_FORMAT, GGML_TYPE_NAMES, GGML_TYPE_OF, GGUF_DEFAULT_ALIGNMENT, GGUF_VALUE_TYPES,
  type GgufArrayValue, type GgufKv, type GgufTensorInfo, type GgufValueType,
} from './gguf-types.js';
export { parseGgufHeader, type GgufHeader } from './gguf-header-parser.js';
export { openGguf, type GgufFile } from './gguf-file.js';
export { GgufMetadata } from './gguf-metadata.js';
export { memorySink, weightBytes, writeGguf, type GgufSink, type GgufTensorEntry } from './gguf-writer.js';
export { GGUF_ARCHITECTURES, ggufConfigJson, ggufLlamaConfig } from './gguf-llama-config.js';
export { ggufTensorName, hfTensorName } from './llama-tensor-names.js';
export { permuteQkRows } from './qk-permute.js';
export { loadGgufBaseModel } from './load-gguf-base-model.js';
export { ggufTokenizerFiles, type TokenizerFiles } from './gguf-tokenizer-json.js';
export { ggufTextTokenizer, loadGgufTokenizer } from './gguf-text-tokenizer.js';
export { tokenizerMetadata } from './hf-tokenizer-metadata.js';
export { writeGgufBaseModel, type WriteGgufBaseModelOptions, type WrittenGguf } from './hf-to-gguf.js';

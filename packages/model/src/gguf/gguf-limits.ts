/**
 * Bounds on what a GGUF file can make us allocate or loop over. Counts are also bounded by the file size (each
 * entry takes at least some bytes); these caps stop absurd-but-fitting values in huge files.
 */
export const GGUF_LIMITS = {
  /** header + metadata + tensor infos (tokenizer vocabularies of 256k tokens with merges take ~20 MiB) */
  maxHeaderBytes: 512 << 20,
  /** one metadata string (chat templates, embedded tokenizer JSON) */
  maxStringBytes: 64 << 20,
  maxTensors: 1 << 20,
  maxKvs: 1 << 20,
  /** elements of one metadata array */
  maxArrayLength: 1 << 26,
  /** nesting of arrays of arrays */
  maxArrayDepth: 4,
  /** ggml's GGML_MAX_DIMS */
  maxDims: 4,
  /** first read of the header; doubled until the header fits */
  firstReadBytes: 1 << 20,
} as const;

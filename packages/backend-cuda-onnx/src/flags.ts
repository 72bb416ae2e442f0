/** Tunables of the ONNX exporter and the ORT session runner, in one place. */

/** ONNX IR version and opsets the exporter targets (ORT 1.30 loads all of them). */
export const IR_VERSION = 10;
export const ONNX_OPSET = 21;
export const MS_OPSET = 1;
export const MS_DOMAIN = 'com.microsoft';

/**
 * Whether 8-bit MatMulNBits (q8_0, q6_k) is used in the exact mode (no accuracy_level). ORT 1.30's CPU kernel for
 * 8-bit blocks with f32 activations is a slow generic path: on the `small` bench model, q8_0 base decode was 7.5
 * tok/s through it against 153 tok/s for q4_0 and 203 tok/s for q8_0 with accuracy_level 4 (same run). So in the
 * exact mode 8-bit MatMul weights are dequantized to f32 at export (fast, 4 bytes a value); with an accuracy level
 * they stay 8-bit. Gather tables keep their blocks either way (GatherBlockQuantized is fast).
 */
export const EXACT_8BIT_MATMUL_NBITS = false;

/**
 * Protobuf cannot serialise a message of 2 GiB or more. When the initializers add up to more than this many bytes,
 * the large ones move to external data (a file beside the model, or an in-memory buffer for a session).
 */
export const EXTERNAL_DATA_THRESHOLD_BYTES = 2_000_000_000;
/**
 * Weight-derived initializers of at least this many bytes go to the ExportOptions.initializerStore (when there is
 * one); smaller ones (norm weights, constant scalings) stay in the model, where writing them per export costs nothing.
 */
export const STORED_INITIALIZER_MIN_BYTES = 64 * 1024;
/** Initializers smaller than this stay inside the model even when external data is used. */
export const EXTERNAL_DATA_MIN_TENSOR_BYTES = 1024;
/** Offsets of tensors in an external data file are aligned to this (lets ORT memory-map them). */
export const EXTERNAL_DATA_ALIGN_BYTES = 4096;
/**
 * Scores of masked keys before the softmax. The lowest finite f32 (not -Infinity), so no EP has to handle inf - inf;
 * masked probabilities are then set to exactly 0 with a Where, which also zeroes rows with no visible key.
 */
export const MASKED_SCORE = -3.4028234663852886e38;

/**
 * ORT intra-op threads when the caller sets neither `threads` nor sessionOptions.intraOpNumThreads (ORT's own
 * default is one per physical core). On the 2-core benchmark machine one thread decoded faster than two:
 * `pnpm bench --preset small --backends onnx-cpu --threads 1|2` gave base 34.1 vs 18.1 tok/s, X-LoRA 18.4 vs 7.6;
 * a hidden-1024 8-layer model, q4_0 and f32, 1.6–3.5× (decode is bandwidth-bound; threads contend for it).
 */
export const DEFAULT_INTRA_OP_THREADS = 1;

import type { BenchMode } from './modes.js';

/** A model the harness runs: where its files are, and what they weigh on disk. */
export interface ModelSpec {
  /** preset name, or "custom" for --model */
  preset: string;
  /** storage format label: "bf16 safetensors", "q4_0 gguf", … */
  format: string;
  /** base model folder or .gguf file (absolute) */
  base: string;
  /** the .gguf file llama.cpp can run, when the base is one */
  gguf?: string;
  /** X-LoRA checkpoint folder (absolute); without it only the base mode runs */
  xlora?: string;
  /** folder the checkpoint's relative expert paths resolve against */
  adapterRoot?: string;
  /** bytes of the base's weight files / of the experts' and classifier's */
  baseBytes: number;
  adapterBytes: number;
  /** for the KV-cache size */
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

/** What one child process runs: one model on one backend (or llama.cpp), every mode in turn. */
export interface ChildJob {
  model: ModelSpec;
  /** a BENCH_BACKENDS key, or 'llama-cpp' */
  backend: string;
  threads: number;
  modes: readonly BenchMode[];
  promptTokens: number;
  newTokens: number;
  /** tokens of the untimed warm-up per mode (2-token prompt): compiles the graphs */
  warmupTokens: number;
  /** quantize-on-load dtype (loadXLoraModel's dtype option) */
  dtype?: string;
  /** recompute mode: estimate from this many sampled lengths */
  recomputeSamples?: number;
}

export interface ModeResult {
  mode: string;
  promptTokens: number;
  newTokens: number;
  timeToFirstTokenMs: number;
  prefillTokensPerS: number;
  decodeTokensPerS: number;
  decodeMsPerToken: number;
  /** VmHWM after this mode (monotonic: modes run in the order given, base first) */
  peakRssMB: number;
  dispatchesPerDecodeToken?: number;
}

export interface ChildResult {
  backendLabel: string;
  device: string;
  loadS: number;
  rssAfterLoadMB: number;
  /** formats the backend computes from directly (others are dequantized at compile) */
  weightFormats?: readonly string[];
  hostTensorMB?: number;
  modes: ModeResult[];
  notes: string[];
  error?: string;
}

/** Prompt ids of the benchmark (the same for every runtime). */
export function promptIds(n: number, vocab: number): number[] {
  return Array.from({ length: n }, (_, i) => (i * 37 + 11) % vocab);
}

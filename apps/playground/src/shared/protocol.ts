/** Messages between the page (main thread) and the model worker. Everything here is structured-cloneable. */

import type { BackendChoice } from './backend-choices.js';
import type { DtypeChoice } from './dtype-choices.js';

/** The base model (a transformers folder or a .gguf file), the X-LoRA checkpoint, the experts' root; the base's storage. */
interface ModelLayoutSpec {
  baseDir: string;
  xloraDir: string;
  adapterRoot: string;
  /** default: as stored */
  dtype?: DtypeChoice;
}

/** Where the model files come from. */
export type ModelSourceSpec =
  | ({ kind: 'url'; baseUrl: string } & ModelLayoutSpec)
  | ({ kind: 'files'; files: [path: string, file: Blob][] } & ModelLayoutSpec);

/** PEFT's runtime knobs plus sampling, as the page sends them with every generate request. */
export interface Knobs {
  /** null: every expert (PEFT top_k_lora = None) */
  topK: number | null;
  softmaxTopK: boolean;
  globalScalingWeight: number;
  scalingPassValue: number;
  /** undefined: exact PEFT semantics (scaling pass on every step) */
  freezeScalingsAfter?: number;
  /** 0: greedy (do_sample = False) */
  temperature: number;
  seed: number;
  maxNewTokens: number;
}

export type Request =
  | { type: 'load'; id: number; backend: BackendChoice; source: ModelSourceSpec }
  | { type: 'generate'; id: number; prompt: string; knobs: Knobs }
  | { type: 'stop' }
  | { type: 'export-log'; id: number }
  | { type: 'train'; id: number; text: string; options: TrainOptions }
  | { type: 'stop-train' };

/** Backends that can train (gradient kernels): cpu and webgpu (ONNX Runtime is inference only). */
export const TRAIN_BACKENDS = ['cpu', 'webgpu'] as const;
export type TrainBackendChoice = (typeof TRAIN_BACKENDS)[number];

/** The train panel's settings: AdamW with linear warm-up + cosine decay, the loaded checkpoint's classifier only. */
export interface TrainOptions {
  backend: TrainBackendChoice;
  steps: number;
  lr: number;
  /** tokens per window */
  seqLen: number;
  /** windows per optimizer step */
  batchSize: number;
  warmupSteps: number;
  maxGradNorm: number;
  seed: number;
}

export interface BackendInUse {
  choice: BackendChoice;
  name: string;
  device: string;
}

export interface LoadedModelInfo {
  experts: string[];
  /** one name per X-LoRA layer (LoRA-wrapped module path) */
  layers: string[];
  layerwise: boolean;
  summary: string;
  defaults: Omit<Knobs, 'temperature' | 'seed' | 'maxNewTokens' | 'freezeScalingsAfter'>;
}

/** New scalings rows [B=1, rows, L, C] for positions start..start+rows-1. */
export interface ScalingsRows {
  start: number;
  shape: [number, number, number, number];
  data: Float32Array;
}

export type Response =
  | { type: 'backend'; backend: BackendInUse; notice?: string }
  /** bytes of the base model read so far, of total; the tensor just read when the loader names it */
  | { type: 'progress'; loaded: number; total: number; file: string; tensor?: string }
  /** something the user should know that is not a failure (a format fallback, a server that ignores Range) */
  | { type: 'notice'; text: string }
  | { type: 'phase'; text: string }
  | { type: 'loaded'; id: number; model: LoadedModelInfo; seconds: number }
  | { type: 'prompt'; id: number; ids: number[]; pieces: string[] }
  | { type: 'token'; id: number; step: number; tokenId: number; piece: string; text: string; scalings?: ScalingsRows }
  | { type: 'done'; id: number; stopReason: string; newTokens: number; seconds: number; prefillSeconds: number }
  | { type: 'log'; id: number; json: string; npy: Uint8Array | null }
  | { type: 'train-start'; id: number; windows: number; seqLen: number; tokens: number; backend: string }
  /** one optimizer step: the train-mode loss of its batch before the update */
  | { type: 'train-step'; id: number; step: number; steps: number; loss: number; lr: number; seconds: number }
  /**
   * training ended (all steps, or stopped): the checkpoint's files by name, and the routing of the same text
   * (`pieces`) before and after, [1, S, L, C] each
   */
  | { type: 'trained'; id: number; stepsDone: number; stopped: boolean; seconds: number; files: [name: string, bytes: Uint8Array][];
      pieces: string[]; before: ScalingsRows; after: ScalingsRows }
  | { type: 'error'; id: number; name: string; message: string };

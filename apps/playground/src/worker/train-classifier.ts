/**
 * The train panel's worker side: fine-tunes the loaded checkpoint's X-LoRA classifier (base and experts frozen) on
 * the windows of a text with @xlora/model's XLoraTrainer (PEFT's training semantics), AdamW with linear warm-up +
 * cosine decay and gradient clipping, one optimizer step per batch of windows; then the routing of the same text
 * before and after, and the trained checkpoint's files.
 */
import { i32, InputError, type HostTensor, type TrainingBackend } from '@xlora/core';
import {
  AdamW, ADAMW_DEFAULTS, PEFT_CLASSIFIER_PREFIX, trainedCheckpointFiles, warmupCosineLr, XLoraModel, XLoraTrainer, type TrainingBatch,
} from '@xlora/model';
import { TRAIN_BACKENDS, type Response, type ScalingsRows, type TrainBackendChoice, type TrainOptions } from '../shared/protocol.js';
import { textWindows, windowBatch, type TokenWindows } from './training-windows.js';

type Post = (msg: Response, transfer?: Transferable[]) => void;

/** Bounds on what one request can make the worker do. */
const MAX_STEPS = 10_000;
const MAX_BATCH = 64;
/** tokens of the text whose routing is drawn before and after (the heatmap stays readable) */
const HEATMAP_TOKENS = 96;

const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * The backend training runs on: cpu (plain TypeScript + WebAssembly SIMD, any worker) or webgpu (WGSL gradient
 * kernels).
 */
async function startTrainBackend(choice: TrainBackendChoice): Promise<TrainingBackend> {
  switch (choice) {
    case 'cpu':
      return (await import('@xlora/backend-cpu')).createCpuBackend();
    case 'webgpu':
      return (await import('@xlora/backend-webgpu')).createWebGpuBackend();
  }
  throw new InputError(`training backend "${String(choice)}": expected one of ${TRAIN_BACKENDS.join(', ')}`);
}

function checkOptions(o: TrainOptions): void {
  const int = (v: number, lo: number, hi: number, what: string) => {
    if (!(Number.isInteger(v) && v >= lo && v <= hi)) throw new InputError(`${what} must be an integer in [${lo}, ${hi}], got ${v}`);
  };
  int(o.steps, 1, MAX_STEPS, 'steps');
  int(o.batchSize, 1, MAX_BATCH, 'batch size');
  int(o.warmupSteps, 0, MAX_STEPS, 'warm-up steps');
  int(o.seed, 0, 2 ** 31 - 1, 'seed');
  if (!(Number.isFinite(o.lr) && o.lr > 0 && o.lr < 1)) throw new InputError(`learning rate must be a number in (0, 1), got ${o.lr}`);
  if (!(Number.isFinite(o.maxGradNorm) && o.maxGradNorm > 0)) throw new InputError(`max gradient norm must be a number > 0, got ${o.maxGradNorm}`);
}

function toBatch(w: TokenWindows): TrainingBatch {
  const shape = [w.rows, w.seqLen];
  return { inputIds: i32(shape, w.inputIds), attentionMask: i32(shape, w.attentionMask), labels: i32(shape, w.labels) };
}

/** [1,S,L,C] scalings of `ids` as rows for the page. */
async function routing(model: XLoraModel, ids: number[]): Promise<ScalingsRows> {
  const { scalings } = await model.forward(i32([1, ids.length], ids));
  if (!scalings) throw new Error('the model gave no scalings (not an X-LoRA forward)');
  const [, s, l, c] = scalings.shape;
  return { start: 0, shape: [1, s, l, c], data: Float32Array.from(scalings.data) };
}

export async function trainClassifier(model: XLoraModel, id: number, text: string, options: TrainOptions, signal: AbortSignal, post: Post): Promise<void> {
  checkOptions(options);
  const tok = model.parts.tokenizer;
  if (!tok) throw new InputError('the loaded model has no tokenizer: training needs one to turn the text into tokens');
  const ids = tok.encode(text);
  const windows = textWindows(ids, options.seqLen, model.parts.padTokenId ?? 0);
  const backend = await startTrainBackend(options.backend);
  let trainer: XLoraTrainer | null = null;
  try {
    trainer = await XLoraTrainer.create(model.parts, backend, { trainableAdapters: false });
    post({ type: 'train-start', id, windows: windows.rows, seqLen: windows.seqLen, tokens: ids.length, backend: `${backend.info.name} · ${backend.info.device}` });
    const optimizer = new AdamW(ADAMW_DEFAULTS);
    const lrAt = warmupCosineLr(options.lr, options.warmupSteps, options.steps);
    const started = performance.now();
    let done = 0;
    for (let step = 0; step < options.steps && !signal.aborted; step++) {
      const batch = toBatch(windowBatch(windows, step * options.batchSize, options.batchSize));
      const lr = lrAt(step);
      const { loss } = await trainer.step(optimizer, lr, batch, { seed: options.seed + step, maxGradNorm: options.maxGradNorm });
      done = step + 1;
      post({ type: 'train-step', id, step: done, steps: options.steps, loss, lr, seconds: (performance.now() - started) / 1000 });
      await yieldToEvents(); // lets a Stop in
    }
    const seconds = (performance.now() - started) / 1000;
    const files = trainedCheckpointFiles(trainer.parameters, { sourceConfigText: null, config: model.parts.xloraConfig, experts: model.parts.experts });

    // routing of the same text, old classifier vs trained one, on the backend the model runs on
    const shown = ids.slice(0, HEATMAP_TOKENS);
    const trainedClassifier = new Map<string, HostTensor>();
    for (const key of model.parts.classifierWeights.keys()) trainedClassifier.set(key, trainer.parameters.params.get(PEFT_CLASSIFIER_PREFIX + key)!);
    const trainedModel = new XLoraModel({ ...model.parts, classifierWeights: trainedClassifier }, model.backend);
    let before: ScalingsRows;
    let after: ScalingsRows;
    try {
      if (trainedModel.getScalingPassValue() !== model.getScalingPassValue()) trainedModel.setScalingPassValue(model.getScalingPassValue());
      before = await routing(model, shown);
      after = await routing(trainedModel, shown);
    } finally {
      trainedModel.dispose();
    }
    const fileList: [string, Uint8Array][] = [...files].filter(([name]) => !name.includes('/'));
    post({ type: 'trained', id, stepsDone: done, stopped: done < options.steps, seconds, files: fileList, pieces: shown.map((t) => tok.decode([t])), before, after },
      [before.data.buffer as ArrayBuffer, after.data.buffer as ArrayBuffer]);
  } finally {
    trainer?.dispose();
    backend.dispose();
  }
}

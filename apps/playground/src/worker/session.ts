import { i32, InputError, type Backend } from '@xlora/core';
import { loadXLoraModel, type XLoraModel } from '@xlora/model';
import { scalingsLogToJson, toNpy, type ScalingsTensor } from '@xlora/scaling-logger';
import type { BackendChoice } from '../shared/backend-choices.js';
import { loadDtypeOf } from '../shared/dtype-choices.js';
import type { Knobs, ModelSourceSpec, Response, ScalingsRows, TrainOptions } from '../shared/protocol.js';
import { describeModel, expertNames } from './model-summary.js';
import { checkUrlBase, fileSourceFor } from './model-source.js';
import { startBackend } from './start-backend.js';
import { trainClassifier } from './train-classifier.js';

type Post = (msg: Response, transfer?: Transferable[]) => void;

/** Lets queued messages (Stop) in between generation steps: the model's awaits alone are only microtasks. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The worker's state: one backend, one model, at most one generation at a time. */
export class Session {
  private backend: Backend | null = null;
  private model: XLoraModel | null = null;
  private abort: AbortController | null = null;
  private training: AbortController | null = null;
  private lastPrompt = '';
  private lastIds: number[] = [];
  /** the model has no getter for it: tracked here */
  private softmaxTopK = false;

  constructor(private readonly post: Post) {}

  async load(id: number, choice: BackendChoice, spec: ModelSourceSpec): Promise<void> {
    this.dispose();
    const started = performance.now();
    this.post({ type: 'phase', text: 'starting the backend…' });
    const { backend, choice: used, notice } = await startBackend(choice);
    this.backend = backend;
    this.post({ type: 'backend', backend: { choice: used, name: backend.info.name, device: backend.info.device }, notice });
    this.post({ type: 'phase', text: 'reading the base model…' });
    const tell = (text: string) => this.post({ type: 'notice', text });
    const source = fileSourceFor(spec, tell);
    await checkUrlBase(source, spec);
    const model = await loadXLoraModel({
      source,
      baseDir: spec.baseDir,
      xloraDir: spec.xloraDir,
      adapterRoot: spec.adapterRoot,
      backend,
      dtype: loadDtypeOf(spec.dtype ?? 'stored'),
      onNotice: tell,
      onProgress: (loaded, total, file, tensor) => {
        this.post({ type: 'progress', loaded, total, file, tensor });
      },
    });
    if (!model.parts.tokenizer) {
      model.dispose();
      throw new InputError(noTokenizerMessage(spec.baseDir));
    }
    this.model = model;
    this.softmaxTopK = model.parts.xloraConfig.enableSoftmaxTopk;
    const info = describeModel(model);
    this.post({ type: 'loaded', id, model: info, seconds: (performance.now() - started) / 1000 });
  }

  async generate(id: number, prompt: string, knobs: Knobs): Promise<void> {
    const model = this.requireModel();
    if (this.abort) throw new Error('a generation is already running; press Stop first');
    if (this.training) throw new Error('training is running; wait for it or press Stop training first');
    this.applyKnobs(model, knobs);
    const tok = model.parts.tokenizer!;
    const ids = tok.encode(prompt);
    if (ids.length === 0) throw new Error('the prompt is empty: type some text first');
    const piece = (t: number) => tok.decode([t]);
    this.post({ type: 'prompt', id, ids, pieces: ids.map(piece) });
    this.lastPrompt = prompt;
    this.lastIds = ids;

    model.logger.clear();
    model.logger.enable();
    let sent = 0; // scalings rows already posted
    const pendingRows: ScalingsRows[] = [];
    const unsubscribe = model.logger.subscribe((entry: ScalingsTensor) => {
      const [b, s, l, c] = entry.shape;
      if (b !== 1 || s <= sent) return;
      pendingRows.push({ start: sent, shape: [1, s - sent, l, c], data: entry.data.slice(sent * l * c, s * l * c) });
      sent = s;
    });

    const abort = (this.abort = new AbortController());
    const generated: number[] = [];
    const started = performance.now();
    let prefillSeconds = 0;
    try {
      const result = await model.generate(i32([1, ids.length], ids), {
        maxNewTokens: knobs.maxNewTokens,
        doSample: knobs.temperature > 0,
        temperature: knobs.temperature > 0 ? knobs.temperature : undefined,
        seed: knobs.seed,
        freezeScalingsAfter: knobs.freezeScalingsAfter,
        signal: abort.signal,
        onToken: async (step, tokens) => {
          if (step === 0) prefillSeconds = (performance.now() - started) / 1000;
          const t = tokens[0];
          generated.push(t);
          const scalings = pendingRows.length ? mergeRows(pendingRows.splice(0)) : undefined;
          this.post({ type: 'token', id, step, tokenId: t, piece: piece(t), text: tok.decode(generated), scalings },
            scalings ? [scalings.data.buffer as ArrayBuffer] : []);
          await yieldToEvents();
        },
      });
      this.lastIds = result.tokens[0];
      this.post({ type: 'done', id, stopReason: result.stopReason, newTokens: generated.length, seconds: (performance.now() - started) / 1000, prefillSeconds });
    } finally {
      unsubscribe();
      this.abort = null;
    }
  }

  stop(): void {
    this.abort?.abort();
  }

  /** Fine-tunes the loaded checkpoint's classifier on `text` (train panel); the loaded model itself is unchanged. */
  async train(id: number, text: string, options: TrainOptions): Promise<void> {
    const model = this.requireModel();
    if (this.abort || this.training) throw new Error('the model is busy (generating or training); press Stop first');
    const training = (this.training = new AbortController());
    try {
      await trainClassifier(model, id, text, options, training.signal, this.post);
    } finally {
      this.training = null;
    }
  }

  stopTraining(): void {
    this.training?.abort();
  }

  /** The scalings log of the last generation as JSON (PEFT's log: one entry per step) and its latest entry as .npy. */
  exportLog(id: number): void {
    const model = this.requireModel();
    const log = model.logger.getLog();
    const xc = model.parts.xloraConfig;
    const json = scalingsLogToJson(log, {
      experts: expertNames(xc.adapters),
      layers: model.wrappedModules.map((m) => m.modulePath),
      prompt: this.lastPrompt,
      tokenIds: this.lastIds,
      backend: this.backend?.info,
    });
    const latest = log[log.length - 1];
    const npy = latest ? toNpy(latest) : null;
    this.post({ type: 'log', id, json, npy }, npy ? [npy.buffer as ArrayBuffer] : []);
  }

  dispose(): void {
    this.abort?.abort();
    this.training?.abort();
    this.model?.dispose();
    this.model = null;
    this.backend?.dispose();
    this.backend = null;
  }

  private requireModel(): XLoraModel {
    if (!this.model) throw new Error('no model is loaded yet: press "Load model" first');
    return this.model;
  }

  /** Sets PEFT's runtime knobs; each setter recompiles the step graphs, so only changed values are set. */
  private applyKnobs(model: XLoraModel, k: Knobs): void {
    if (model.getTopKLora() !== k.topK) model.setTopKLora(k.topK);
    if (this.softmaxTopK !== k.softmaxTopK) {
      model.setSoftmaxTopK(k.softmaxTopK);
      this.softmaxTopK = k.softmaxTopK;
    }
    if (model.getGlobalScalingWeight() !== k.globalScalingWeight) model.setGlobalScalingWeight(k.globalScalingWeight);
    if (model.getScalingPassValue() !== k.scalingPassValue) model.setScalingPassValue(k.scalingPassValue);
  }
}

/** A loaded base without a tokenizer: a transformers folder without tokenizer.json, or a GGUF without either. */
function noTokenizerMessage(baseDir: string): string {
  const need = 'the playground needs the base model\'s tokenizer to turn text into tokens';
  if (/\.gguf$/i.test(baseDir)) {
    return `${baseDir}: no tokenizer: no tokenizer.json beside the file and no tokenizer.ggml.* metadata in it; ${need}`;
  }
  return `${baseDir || '.'}/tokenizer.json: not found (nor, for a GGUF base, tokenizer.ggml.* metadata); ${need}`;
}

/** Joins consecutive scalings row blocks into one. */
function mergeRows(rows: ScalingsRows[]): ScalingsRows {
  if (rows.length === 1) return rows[0];
  const [, , l, c] = rows[0].shape;
  const n = rows.reduce((a, r) => a + r.shape[1], 0);
  const data = new Float32Array(n * l * c);
  let at = 0;
  for (const r of rows) {
    data.set(r.data, at);
    at += r.data.length;
  }
  return { start: rows[0].start, shape: [1, n, l, c], data };
}

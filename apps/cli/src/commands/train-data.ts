import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { InputError } from '@xlora/core';
import {
  accumulatedLossAndGradients, AdamW, ADAMW_DEFAULTS, BatchStream, clipGradNorm, evaluationLoss, loadOptimizerState, loadTokenizer,
  loadTrainingParts, nodeFileSource, OPTIMIZER_STATE_FILE, optimizerStateFile, packedRows, paddedRows, parseTrainingState,
  TRAINING_STATE_FILE, warmupCosineLr, XLoraTrainer, type TrainingExample, type TrainingState,
} from '@xlora/model';
import { startTrainingBackend } from '../lib/training-backend.js';
import { readTrainingExamples } from '../lib/training-data-files.js';
import { fromUser, userCwd } from '../lib/paths.js';
import { checkOutDir, parseBetas, parseOverrides, writeTrainedCheckpoint } from './train.js';

export interface TrainDataArgs {
  model: string;
  xlora: string;
  adapterRoot?: string;
  adapter?: string[];
  data: string;
  evalData?: string;
  evalEvery?: number;
  seqLen?: number;
  pack?: boolean;
  batchSize?: number;
  gradAccum?: number;
  epochs?: number;
  steps?: number;
  lr?: number;
  betas?: string;
  eps?: number;
  weightDecay?: number;
  warmup?: number;
  minLrRatio?: number;
  maxGradNorm?: number;
  seed?: number;
  saveEvery?: number;
  resume?: string;
  trainableAdapters?: boolean;
  routingWeight?: number;
  out: string;
  backend: string;
  progress?: boolean;
  /** exact-step mode's flags, refused here */
  batch?: string;
  lossOut?: string;
  gradsOut?: string;
  optimizer?: string;
}

/** Defaults of the data-file mode (transformers' Trainer where it has one). */
export const TRAIN_DATA_DEFAULTS = { seqLen: 128, batchSize: 8, gradAccum: 1, lr: 1e-3, warmup: 0, maxGradNorm: 1, seed: 42, epochs: 1 };
const MAX_STEPS = 10_000_000;

/** Routing supervision needs every example to name experts (a {"segments"} line), else a batch could have none. */
function checkRoutedExamples(examples: readonly TrainingExample[], data: string): void {
  const i = examples.findIndex((ex) => !ex.experts?.some((e) => e >= 0));
  if (i >= 0) throw new InputError(`${data}: example ${i + 1} labels no expert; --routing-weight needs every example as {"segments": [{"text", "expert"}, …]}`);
}

function rowsOf(examples: TrainingExample[], seqLen: number, pack: boolean, padId: number) {
  return pack ? packedRows(examples, seqLen, padId) : paddedRows(examples, seqLen, padId);
}

/**
 * xlora train --data: trains the classifier (and with --trainable-adapters the experts) on a JSONL file or a folder
 * of texts with AdamW, linear warm-up + cosine lr, gradient clipping and accumulation; every --save-every steps a
 * PEFT checkpoint with the optimizer state and step in DIR/checkpoint-<step>/, which --resume continues exactly
 * (the data order and dropout seeds follow from --seed and the step).
 */
export async function trainDataCommand(args: TrainDataArgs): Promise<void> {
  const seqLen = args.seqLen ?? TRAIN_DATA_DEFAULTS.seqLen;
  const batchSize = args.batchSize ?? TRAIN_DATA_DEFAULTS.batchSize;
  const gradAccum = args.gradAccum ?? TRAIN_DATA_DEFAULTS.gradAccum;
  const lr = args.lr ?? TRAIN_DATA_DEFAULTS.lr;
  const seed = args.seed ?? TRAIN_DATA_DEFAULTS.seed;
  const warmup = args.warmup ?? TRAIN_DATA_DEFAULTS.warmup;
  const minLrRatio = args.minLrRatio ?? 0;
  if (!(minLrRatio >= 0 && minLrRatio <= 1)) throw new InputError(`--min-lr-ratio must be in [0, 1], got ${minLrRatio}`);
  const maxGradNorm = args.maxGradNorm ?? TRAIN_DATA_DEFAULTS.maxGradNorm;
  for (const [flag, v] of [['--batch', args.batch], ['--loss-out', args.lossOut], ['--grads-out', args.gradsOut]] as const) {
    if (v !== undefined) throw new InputError(`${flag} belongs to exact-step mode; with --data leave it out`);
  }
  if (args.optimizer === 'sgd') throw new InputError('--data trains with AdamW; --optimizer sgd is for exact-step mode (--batch)');
  if (args.steps !== undefined && args.epochs !== undefined) throw new InputError('give --steps or --epochs, not both');
  if (args.evalEvery !== undefined && args.evalData === undefined) throw new InputError('--eval-every needs --eval-data');
  if (!(Number.isFinite(lr) && lr >= 0)) throw new InputError(`--lr must be a number >= 0, got ${lr}`);
  if (!(maxGradNorm > 0)) throw new InputError(`--max-grad-norm must be > 0, got ${maxGradNorm}`);
  const outDir = await checkOutDir(args.out);
  const source = nodeFileSource('/');
  const baseDir = fromUser(args.model);
  const tok = await loadTokenizer(source, baseDir);
  if (!tok) throw new InputError(`--data needs the base model's tokenizer: no tokenizer.json in ${args.model}`);
  const padId = tok.padTokenId ?? 0;
  const routingWeight = args.routingWeight ?? 0;
  if (!(Number.isFinite(routingWeight) && routingWeight >= 0)) throw new InputError(`--routing-weight must be a number >= 0, got ${routingWeight}`);
  const examples = await readTrainingExamples(fromUser(args.data), args.data, tok);
  if (routingWeight > 0) checkRoutedExamples(examples, args.data);
  const stream = new BatchStream(rowsOf(examples, seqLen, !!args.pack, padId), batchSize, seed);
  const evalStream = args.evalData === undefined ? null
    : new BatchStream(rowsOf(await readTrainingExamples(fromUser(args.evalData), args.evalData, tok), seqLen, !!args.pack, padId), batchSize, seed, false);
  const epochs = args.epochs ?? TRAIN_DATA_DEFAULTS.epochs;
  if (!(epochs > 0)) throw new InputError(`--epochs must be > 0, got ${epochs}`);
  const totalSteps = args.steps ?? Math.ceil((epochs * stream.batchesPerEpoch) / gradAccum);
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1 && totalSteps <= MAX_STEPS)) throw new InputError(`the run would take ${totalSteps} steps; expected 1 to ${MAX_STEPS}`);
  const settings: TrainingState['settings'] = {
    data: args.data, seqLen, pack: !!args.pack, batchSize, gradAccum, totalSteps, lr, warmup, ...(minLrRatio > 0 ? { minLrRatio } : {}), maxGradNorm, seed,
    betas: args.betas ?? null, eps: args.eps ?? null, weightDecay: args.weightDecay ?? null, trainableAdapters: !!args.trainableAdapters,
    ...(routingWeight > 0 ? { routingWeight } : {}),
  };

  // resume: the checkpoint's own PEFT files are the parameters; its state files hold the step and the optimizer
  const resumeDir = args.resume === undefined ? null : fromUser(args.resume);
  const xloraDir = resumeDir ?? fromUser(args.xlora);
  const state = resumeDir === null ? { step: 0, losses: [] as number[] }
    : parseTrainingState(await readFile(join(resumeDir, TRAINING_STATE_FILE), 'utf8').catch(() => {
      throw new InputError(`--resume ${args.resume}: no ${TRAINING_STATE_FILE} (resume from a checkpoint-<step> folder written with --save-every)`);
    }), join(args.resume!, TRAINING_STATE_FILE), settings);
  const parts = await loadTrainingParts({
    source, baseDir, xloraDir, adapterRoot: args.adapterRoot ? fromUser(args.adapterRoot) : resumeDir ?? userCwd(),
    checkpointOptions: {
      adapterOverrides: parseOverrides(args.adapter), searchCheckpointDirs: !args.adapterRoot || resumeDir !== null,
      notice: (message) => process.stderr.write(`note: ${message}\n`),
      optionNames: { adapterRoot: '--adapter-root DIR', adapterOverrides: '--adapter KEY=PATH' },
    },
  });
  const optimizer = new AdamW({ betas: parseBetas(args.betas), eps: args.eps ?? ADAMW_DEFAULTS.eps, weightDecay: args.weightDecay ?? ADAMW_DEFAULTS.weightDecay });
  if (resumeDir !== null) {
    const file = join(resumeDir, OPTIMIZER_STATE_FILE);
    loadOptimizerState(optimizer, new Uint8Array(await readFile(file).catch(() => { throw new InputError(`--resume ${args.resume}: no ${OPTIMIZER_STATE_FILE}`); })), file);
  }
  const schedule = warmupCosineLr(lr, warmup, totalSteps, minLrRatio);
  const backend = await startTrainingBackend(args.backend);
  const trainer = await XLoraTrainer.create(parts, backend, { trainableAdapters: args.trainableAdapters, routingWeight });
  // evaluation reports the language-model loss in eval mode (no dropout, no routing term)
  const evalTrainer = evalStream && (trainer.hasDropout || routingWeight > 0)
    ? await XLoraTrainer.create(parts, backend, { trainableAdapters: args.trainableAdapters, mode: 'eval' }) : trainer;
  const losses = [...state.losses];
  const routingParts: { lm: number[]; routing: number[] } = { lm: [], routing: [] };
  const evals: { step: number; loss: number }[] = [];
  const evaluate = async (step: number) => {
    if (!evalStream) return;
    if (evalTrainer !== trainer) for (const [k, p] of trainer.parameters.params) evalTrainer.parameters.params.get(k)!.data.set(p.data);
    const r = await evaluationLoss(evalTrainer, evalStream);
    evals.push({ step, loss: r.loss });
    process.stderr.write(`${bar ? '\n' : ''}eval at step ${step}: loss ${r.loss.toFixed(4)} over ${r.counted} tokens\n`);
  };
  const bar = args.progress === false ? null : new SingleBar({
    stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5000, etaBuffer: 20,
    format: 'train [{bar}] {value}/{total} steps | loss {loss} | {tps} tok/s | ETA {eta_formatted}',
  });
  try {
    bar?.start(totalSteps, state.step, { loss: '-', tps: '-' });
    const started = Date.now();
    let tokens = 0;
    for (let step = state.step; step < totalSteps; step++) {
      const r = await accumulatedLossAndGradients(trainer, stream, step, gradAccum, seed);
      clipGradNorm(r.grads, maxGradNorm);
      optimizer.step(trainer.parameters.params, r.grads, schedule(step));
      losses.push(r.loss);
      if (r.parts) {
        routingParts.lm.push(r.parts.lm);
        routingParts.routing.push(r.parts.routing);
      }
      tokens += r.tokens;
      const done = step + 1;
      const shown = r.parts ? `${r.loss.toFixed(4)} (lm ${r.parts.lm.toFixed(4)}, routing ${r.parts.routing.toFixed(4)})` : r.loss.toFixed(4);
      bar?.update(done, { loss: shown, tps: (tokens / ((Date.now() - started) / 1000)).toFixed(0) });
      // a step is synchronous compute behind resolved promises: let timers run (the bar redraws on one)
      await new Promise((next) => setImmediate(next));
      if (args.progress === false) {
        process.stderr.write(`step ${done}/${totalSteps} loss ${r.loss.toFixed(6)}${r.parts ? ` lm ${r.parts.lm.toFixed(6)} routing ${r.parts.routing.toFixed(6)}` : ''}\n`);
      }
      if (args.evalEvery && done % args.evalEvery === 0) await evaluate(done);
      if (args.saveEvery && done % args.saveEvery === 0 && done < totalSteps) {
        const st: TrainingState = { step: done, settings, losses };
        await writeTrainedCheckpoint(trainer, parts, xloraDir, join(outDir, `checkpoint-${done}`), new Map([
          [TRAINING_STATE_FILE, new TextEncoder().encode(`${JSON.stringify(st, null, 2)}\n`)],
          [OPTIMIZER_STATE_FILE, optimizerStateFile(optimizer)],
        ]));
      }
    }
    bar?.stop();
    const seconds = (Date.now() - started) / 1000;
    if (evalStream && !(args.evalEvery && totalSteps % args.evalEvery === 0)) await evaluate(totalSteps);
    const log = {
      steps: totalSteps, losses, ...(routingWeight > 0 ? { routingWeight, lmLosses: routingParts.lm, routingLosses: routingParts.routing } : {}),
      evals, tokensPerSecond: seconds > 0 ? tokens / seconds : null, trainedTokens: tokens, seconds,
    };
    const experts = await writeTrainedCheckpoint(trainer, parts, xloraDir, outDir, new Map([['training_log.json', new TextEncoder().encode(`${JSON.stringify(log, null, 2)}\n`)]]));
    process.stderr.write(`trained ${totalSteps - state.step} steps (${tokens} tokens, ${log.tokensPerSecond?.toFixed(0) ?? '-'} tok/s); checkpoint ${args.out}`
      + (experts ? ` with ${experts} trained experts in trained-experts/` : '') + '\n');
  } finally {
    bar?.stop();
    trainer.dispose();
    if (evalTrainer !== trainer) evalTrainer.dispose();
    backend.dispose();
  }
}

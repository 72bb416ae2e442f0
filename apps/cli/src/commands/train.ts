import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError, type HostTensor } from '@xlora/core';
import {
  AdamW, ADAMW_DEFAULTS, loadTrainingParts, nodeFileSource, parseSafetensors, Sgd, trainedCheckpointFiles, writeSafetensors,
  XLoraTrainer, type Optimizer, type TrainingBatch, type XLoraModelParts,
} from '@xlora/model';
import { startTrainingBackend } from '../lib/training-backend.js';
import { checkOutputPath } from '../lib/output-path.js';
import { fromUser, userCwd } from '../lib/paths.js';

export interface TrainArgs {
  /** data-file mode only: refused here */
  routingWeight?: number;
  model: string;
  xlora: string;
  adapterRoot?: string;
  adapter?: string[];
  batch: string;
  optimizer: 'sgd' | 'adamw';
  lr: number;
  betas?: string;
  eps?: number;
  weightDecay?: number;
  steps: number;
  out: string;
  lossOut: string;
  gradsOut: string;
  trainableAdapters?: boolean;
  backend: string;
}

/** Steps a batch file can ask for at most (each is a full forward and backward). */
const MAX_STEPS = 100_000;

export function parseBetas(text: string | undefined): [number, number] {
  if (text === undefined) return ADAMW_DEFAULTS.betas;
  const parts = text.split(',').map(Number);
  if (parts.length !== 2 || !parts.every((b) => Number.isFinite(b) && b >= 0 && b < 1)) {
    throw new InputError(`--betas expects B1,B2 with both in [0, 1), e.g. 0.9,0.999; got "${text}"`);
  }
  return [parts[0], parts[1]];
}

function makeOptimizer(args: TrainArgs): Optimizer {
  if (args.optimizer === 'sgd') {
    if (args.betas !== undefined || args.eps !== undefined) throw new InputError('--betas and --eps apply to --optimizer adamw only');
    if (args.weightDecay) throw new InputError('--weight-decay with --optimizer sgd is not supported (torch.optim.SGD without weight decay)');
    return new Sgd();
  }
  return new AdamW({ betas: parseBetas(args.betas), eps: args.eps ?? ADAMW_DEFAULTS.eps, weightDecay: args.weightDecay ?? ADAMW_DEFAULTS.weightDecay });
}

async function readBatch(path: string): Promise<TrainingBatch> {
  const file = parseSafetensors(new Uint8Array(await readFile(path)), path);
  for (const name of ['input_ids', 'attention_mask', 'labels']) {
    if (!file.names().includes(name)) throw new InputError(`${path}: no tensor named "${name}" (a batch holds input_ids, attention_mask and labels, I32 [batch, seq])`);
  }
  return { inputIds: file.getI32('input_ids'), attentionMask: file.getI32('attention_mask'), labels: file.getI32('labels') };
}

export function parseOverrides(pairs: string[] = []): Record<string, string> {
  return Object.fromEntries(pairs.map((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new InputError(`--adapter expects KEY=PATH (e.g. 0=experts/prose), got "${p}"`);
    return [p.slice(0, eq), fromUser(p.slice(eq + 1))];
  }));
}

/** Writes the PEFT-format checkpoint of `trainer`'s parameters into `outDir` (plus `extra` files); returns how many trained experts it holds. */
export async function writeTrainedCheckpoint(
  trainer: XLoraTrainer, parts: XLoraModelParts, xloraDir: string, outDir: string, extra: ReadonlyMap<string, Uint8Array> = new Map(),
): Promise<number> {
  const sourceConfigText = await readFile(join(xloraDir, 'adapter_config.json'), 'utf8').catch(() => null);
  const files = trainedCheckpointFiles(trainer.parameters, { sourceConfigText, config: parts.xloraConfig, experts: parts.experts });
  for (const [rel, bytes] of [...files, ...extra]) {
    await mkdir(dirname(join(outDir, rel)), { recursive: true });
    await writeFile(join(outDir, rel), bytes);
  }
  return [...files.keys()].filter((f) => f.startsWith('trained-experts/') && f.endsWith('.safetensors')).length;
}

/** Checks --out before any work: a folder (written into) or a new path inside a writable folder. */
export async function checkOutDir(out: string): Promise<string> {
  const outDir = fromUser(out);
  const outStat = await stat(outDir).catch(() => null);
  if (outStat && !outStat.isDirectory()) throw new InputError(`--out ${out}: is a file; expected a checkpoint folder`);
  if (outStat) await checkOutputPath('--out', join(outDir, 'adapter_config.json'));
  else await checkOutputPath('--out', outDir); // created at the end, inside an existing writable folder
  return outDir;
}

/**
 * xlora train, exact-step contract (checked against PEFT): every step uses the whole batch in train mode;
 * LOSS.json = {"loss": [before step 1, after step 1, …, after step N]} (N+1 values; the one after step k is the
 * loss of the next forward, with dropout seed k); GRADS.safetensors = the gradient of every trainable parameter at
 * the initial parameters (classifier: the checkpoint's keys; experts' A/B with --trainable-adapters: PEFT's
 * parameter names); DIR = the checkpoint after N steps, in PEFT's format (trained experts beside it).
 */
export async function trainCommand(args: TrainArgs): Promise<void> {
  for (const [flag, v] of [['--batch', args.batch], ['--optimizer', args.optimizer], ['--lr', args.lr], ['--steps', args.steps], ['--loss-out', args.lossOut], ['--grads-out', args.gradsOut]] as const) {
    if (v === undefined) throw new InputError(`xlora train needs --data FILE|DIR (data-file mode) or --batch FILE (exact-step mode); exact-step mode also needs ${flag}`);
  }
  if (args.routingWeight !== undefined) throw new InputError('--routing-weight belongs to data-file mode (--data with {"segments"} lines); the exact-step contract is PEFT\'s loss only');
  if (!(Number.isInteger(args.steps) && args.steps >= 0 && args.steps <= MAX_STEPS)) throw new InputError(`--steps must be an integer in [0, ${MAX_STEPS}], got ${args.steps}`);
  if (!(Number.isFinite(args.lr) && args.lr >= 0)) throw new InputError(`--lr must be a number >= 0, got ${args.lr}`);
  const optimizer = makeOptimizer(args);
  const lossOut = await checkOutputPath('--loss-out', args.lossOut);
  const gradsOut = await checkOutputPath('--grads-out', args.gradsOut);
  const outDir = await checkOutDir(args.out);
  const batchPath = fromUser(args.batch);
  const batch = await readBatch(batchPath);
  const xloraDir = fromUser(args.xlora);
  const parts = await loadTrainingParts({
    source: nodeFileSource('/'), baseDir: fromUser(args.model), xloraDir,
    adapterRoot: args.adapterRoot ? fromUser(args.adapterRoot) : userCwd(),
    checkpointOptions: {
      adapterOverrides: parseOverrides(args.adapter), searchCheckpointDirs: !args.adapterRoot,
      notice: (message) => process.stderr.write(`note: ${message}\n`),
      optionNames: { adapterRoot: '--adapter-root DIR', adapterOverrides: '--adapter KEY=PATH' },
    },
  });
  const backend = await startTrainingBackend(args.backend);
  try {
    const trainer = await XLoraTrainer.create(parts, backend, { trainableAdapters: args.trainableAdapters });
    const losses: number[] = [];
    let initialGrads: Record<string, HostTensor> | null = null;
    const started = Date.now();
    for (let step = 0; step < args.steps; step++) {
      const r = await trainer.lossAndGradients(batch, step);
      if (!Number.isFinite(r.loss)) throw new InputError(`step ${step + 1}: the loss is ${r.loss}; stopping before the parameters are updated`);
      if (step === 0) initialGrads = Object.fromEntries(r.grads);
      losses.push(r.loss);
      optimizer.step(trainer.parameters.params, r.grads, args.lr);
      process.stderr.write(`step ${step + 1}/${args.steps}  loss ${r.loss.toFixed(6)}  ${((Date.now() - started) / (step + 1)).toFixed(0)} ms/step\n`);
    }
    if (initialGrads === null) initialGrads = Object.fromEntries((await trainer.lossAndGradients(batch, 0)).grads);
    losses.push(await trainer.loss(batch, args.steps));
    await writeFile(lossOut, `${JSON.stringify({ loss: losses })}\n`);
    await writeFile(gradsOut, writeSafetensors(initialGrads));
    const trainedExperts = await writeTrainedCheckpoint(trainer, parts, xloraDir, outDir);
    process.stderr.write(`wrote ${args.lossOut} (${losses.length} losses), ${args.gradsOut} (${Object.keys(initialGrads).length} gradients), checkpoint ${args.out}`
      + (trainedExperts ? ` with ${trainedExperts} trained experts in trained-experts/ (PEFT's save_pretrained would drop them)` : '') + '\n');
    trainer.dispose();
  } finally {
    backend.dispose();
  }
}

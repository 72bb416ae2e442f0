import { f32, i32, InputError, type Executable, type HostTensor, type TrainingBackend, type TrainingGraph } from '@xlora/core';
import { architectureOf } from '../architectures/index.js';
import { prepareExpertWeights } from '../xlora/expert-weights.js';
import { arangePositions } from '../generation/positions.js';
import type { XLoraModelParts } from '../xlora/model-parts.js';
import { DROPOUT_SEED_INPUT } from './classifier-dropout.js';
import type { Optimizer } from './optimizer.js';
import type { ParameterMap } from './parameters.js';
import { clipGradNorm } from './clip-grad-norm.js';
import { TrainableParameters } from './trainable-parameters.js';
import { checkRoutingLabels, checkTrainingBatch, type TrainingBatch } from './training-batch.js';
import { LM_LOSS_OUTPUT, ROUTING_INPUT, ROUTING_LOSS_OUTPUT } from './routing-loss.js';
import { buildTrainingGraphs, LABELS_INPUT, LOSS_OUTPUT, type TrainingGraphs } from './training-graph.js';

export interface XLoraTrainerOptions {
  /** train the experts' LoRA A/B too (default: the checkpoint's use_trainable_adapters) */
  trainableAdapters?: boolean;
  /** 'train' (default): the classifier's dropout is on, as after model.train(); 'eval': off (model.eval()) */
  mode?: 'train' | 'eval';
  /**
   * Routing supervision (not in PEFT; default 0 = off): loss = lm_loss + routingWeight · routing_loss, the scalings'
   * cross-entropy against TrainingBatch.routing (routing-loss.ts). Every batch must then carry routing labels.
   */
  routingWeight?: number;
}

export interface LossAndGradients {
  loss: number;
  /** by PEFT parameter name */
  grads: ParameterMap;
  /** [B,S,L|1,C] scalings of this forward (after softmax, before top-k) */
  scalings: HostTensor<'f32'>;
  /** [B,S,V] */
  logits: HostTensor<'f32'>;
  /** with routing supervision: the two parts of `loss` (loss = lm + weight · routing) */
  parts?: { lm: number; routing: number };
}

/**
 * Trains an X-LoRA model as PEFT does (XLORA-SEMANTICS §4, the training fixtures' README): the scaling pass without
 * gradients, the classifier with gradients (dropout in train mode), the real pass with the classifier's scalings,
 * transformers' shifted causal-LM loss, gradients back through every layer into the scalings, the classifier and,
 * with trainable adapters, the experts' A/B. Base weights and experts are frozen otherwise. The forward+loss graph
 * and the gradient graph are compiled once; parameters are fed per run, so an optimizer step never re-compiles.
 */
export class XLoraTrainer {
  readonly parameters: TrainableParameters;
  private constructor(
    readonly parts: XLoraModelParts,
    private readonly backend: TrainingBackend,
    private readonly graphs: TrainingGraphs,
    parameters: TrainableParameters,
    private readonly lossExe: Executable,
    private readonly gradExe: Executable,
  ) {
    this.parameters = parameters;
  }

  static async create(parts: XLoraModelParts, backend: TrainingBackend, options: XLoraTrainerOptions = {}): Promise<XLoraTrainer> {
    const { baseConfig: cfg, xloraConfig: xc, experts } = parts;
    const { weights, stacked, layout } = prepareExpertWeights(parts, architectureOf(cfg), 'f32');
    const trainAdapters = options.trainableAdapters ?? xc.useTrainableAdapters;
    const parameters = new TrainableParameters(parts.classifierWeights, experts, stacked, trainAdapters);
    const trainable = parameters.graphInputs();
    const graphs = buildTrainingGraphs({
      config: cfg, wrapped: stacked,
      knobs: { topK: xc.topKLora, softmaxTopK: xc.enableSoftmaxTopk, globalWeight: xc.globalScalingWeight, numExperts: experts.length },
      routing: {
        kind: 'xlora', classifier: layout, enableSoftmax: xc.enableSoftmax, softmaxTemperature: xc.softmaxTemperature,
        scalingPassValue: xc.scalingPassValue ?? 1 / experts.length,
      },
    }, trainable, options.mode === 'eval' ? 0 : xc.xloraDropoutP, options.routingWeight ?? 0);
    for (const name of trainable) weights.delete(name);
    for (const [k, t] of graphs.constants) weights.set(k, t);
    const lossExe = await backend.compile(graphs.loss, weights);
    const gradExe = await backend.compile(graphs.gradient.graph, weights);
    return new XLoraTrainer(parts, backend, graphs, parameters, lossExe, gradExe);
  }

  /** Whether the graphs hold dropout (train mode differs from eval mode). */
  get hasDropout(): boolean {
    return this.graphs.loss.inputs.some((v) => v.name === DROPOUT_SEED_INPUT);
  }

  /** Whether the loss includes routing supervision (batches must carry routing labels). */
  get supervisesRouting(): boolean {
    return this.graphs.loss.inputs.some((v) => v.name === ROUTING_INPUT);
  }

  /** Train-mode loss at the current parameters (`seed` draws the classifier's dropout masks). */
  async loss(batch: TrainingBatch, seed = 0): Promise<number> {
    const outs = await this.backend.run(this.lossExe, this.feeds(this.graphs.loss, batch, seed), { outputs: [LOSS_OUTPUT] });
    return (await this.backend.read(outs[LOSS_OUTPUT])).data[0];
  }

  /** Train-mode loss and the gradient of every trainable parameter. */
  async lossAndGradients(batch: TrainingBatch, seed = 0): Promise<LossAndGradients> {
    const { graph, seeds, grads } = this.graphs.gradient;
    const feeds = this.feeds(graph, batch, seed);
    feeds[seeds.get(LOSS_OUTPUT)!] = f32([1], [1]);
    const partNames = this.supervisesRouting ? [LM_LOSS_OUTPUT, ROUTING_LOSS_OUTPUT] : [];
    const outs = await this.backend.run(this.gradExe, feeds, { outputs: [LOSS_OUTPUT, ...partNames, 'scalings', 'logits', ...grads.values()] });
    const graphGrads = new Map<string, HostTensor>();
    for (const [input, out] of grads) graphGrads.set(input, await this.backend.read(outs[out]));
    const scalar = async (name: string) => (await this.backend.read(outs[name])).data[0];
    return {
      ...(partNames.length > 0 ? { parts: { lm: await scalar(LM_LOSS_OUTPUT), routing: await scalar(ROUTING_LOSS_OUTPUT) } } : {}),
      loss: await scalar(LOSS_OUTPUT),
      grads: this.parameters.gradients(graphGrads),
      scalings: (await this.backend.read(outs.scalings)) as HostTensor<'f32'>,
      logits: (await this.backend.read(outs.logits)) as HostTensor<'f32'>,
    };
  }

  /**
   * One optimizer step on the batch (torch: zero_grad; loss.backward(); [clip_grad_norm_]; opt.step()).
   * Returns the loss before the step and the gradient norm (before clipping).
   */
  async step(optimizer: Optimizer, lr: number, batch: TrainingBatch, options: { seed?: number; maxGradNorm?: number } = {}): Promise<{ loss: number; gradNorm: number | null }> {
    const { loss, grads } = await this.lossAndGradients(batch, options.seed ?? 0);
    if (!Number.isFinite(loss)) throw new InputError(`training step: the loss is ${loss}; stopping before the parameters are updated`);
    const gradNorm = options.maxGradNorm === undefined ? null : clipGradNorm(grads, options.maxGradNorm);
    optimizer.step(this.parameters.params, grads, lr);
    return { loss, gradNorm };
  }

  dispose(): void {
    this.lossExe.dispose();
    this.gradExe.dispose();
  }

  private feeds(graph: TrainingGraph, batch: TrainingBatch, seed: number): Record<string, HostTensor> {
    const { batch: b, seq } = checkTrainingBatch(batch, this.parts.baseConfig.vocabSize, 'training batch');
    const feeds: Record<string, HostTensor> = {
      input_ids: batch.inputIds, attention_mask: batch.attentionMask, position_ids: arangePositions(b, seq),
      [LABELS_INPUT]: batch.labels, ...this.parameters.feeds(),
    };
    if (this.supervisesRouting) feeds[ROUTING_INPUT] = checkRoutingLabels(batch, this.parts.experts.length, 'training batch');
    for (const v of graph.inputs) {
      if (v.name === DROPOUT_SEED_INPUT) feeds[v.name] = i32([1], [seed | 0]);
      else if (!(v.name in feeds) && v.shape.includes('past')) {
        feeds[v.name] = f32(v.shape.map((d) => (d === 'batch' ? b : d === 'past' ? 0 : d)) as number[]); // no cache in training
      }
    }
    return feeds;
  }
}

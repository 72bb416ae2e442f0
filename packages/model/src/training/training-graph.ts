import { buildGradientGraph, GraphEmitter, weightsToInputs, type GradientGraph, type HostTensor, type TrainingGraph } from '@xlora/core';
import { withClassifierDropout } from './classifier-dropout.js';
import { appendRoutingLoss, LM_LOSS_OUTPUT } from './routing-loss.js';
import { buildStepGraph, type StepGraphSpec } from '../xlora/step-graph.js';

export const LOSS_OUTPUT = 'loss';
export const LABELS_INPUT = 'labels';
/** the scaling pass's last hidden state: PEFT runs that pass under torch.no_grad() */
export const CLASSIFIER_INPUT = 'classifier_input';

export interface TrainingGraphs {
  /** forward + loss (train mode: classifier dropout when p > 0) */
  loss: TrainingGraph;
  /** the same plus the gradient of the loss w.r.t. every trainable input */
  gradient: GradientGraph;
  constants: Map<string, HostTensor>;
}

/**
 * The X-LoRA training graphs from the model's own step graph (scaling pass → classifier → real pass → logits for
 * every position), with the causal-LM loss on `labels` appended, trainable weights turned into per-run inputs, the
 * classifier's dropout inserted (train mode), and the gradient stopped at the classifier input (no-grad scaling pass).
 * With a routing weight w > 0 the loss is lm_loss + w·routing_loss (routing-loss.ts); both parts are outputs too.
 */
export function buildTrainingGraphs(spec: Omit<StepGraphSpec, 'logits'>, trainable: readonly string[], dropoutP: number, routingWeight = 0): TrainingGraphs {
  const step = buildStepGraph({ ...spec, logits: 'all' });
  const e = new GraphEmitter(withClassifierDropout(step.graph, dropoutP));
  e.input(LABELS_INPUT, 'i32', ['batch', 'seq']);
  if (routingWeight > 0) {
    const lm = e.emit1('CrossEntropy', ['logits', LABELS_INPUT], { ignoreIndex: -100, shift: true }, LM_LOSS_OUTPUT);
    e.output(lm);
    e.output(appendRoutingLoss(e, lm, routingWeight, step.constants, LOSS_OUTPUT));
  } else {
    e.output(e.emit1('CrossEntropy', ['logits', LABELS_INPUT], { ignoreIndex: -100, shift: true }, LOSS_OUTPUT));
  }
  const loss = weightsToInputs(e.build(`${step.graph.name}-loss`), trainable);
  const gradient = buildGradientGraph(loss, { of: [LOSS_OUTPUT], wrt: trainable, stopGradient: [CLASSIFIER_INPUT] });
  return { loss, gradient, constants: step.constants };
}

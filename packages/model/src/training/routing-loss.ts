import { InputError, f32, type GraphEmitter, type HostTensor } from '@xlora/core';

/** i32 [B,S]: the expert (class index) each position should route to; IGNORE_INDEX (−100) where none is given. */
export const ROUTING_INPUT = 'routing_labels';
export const LM_LOSS_OUTPUT = 'lm_loss';
export const ROUTING_LOSS_OUTPUT = 'routing_loss';

/**
 * Routing supervision (an addition to PEFT's training, off unless a weight is given): the classifier's scalings at
 * position t are pushed towards the expert labelled for token t, with the cross-entropy of every scaling layer's
 * softmax, averaged over the layers and the labelled positions:
 *   routing = (1/L) Σ_l CE(z[:, :, l, :] / T, labels),   loss = lm_loss + weight · routing
 * z [B,S,L,C] is what the classifier's Softmax reads (its raw output when enable_softmax is off), T its temperature,
 * so −log of the very scalings the model uses. Emitted from existing ops (Slice, Reshape, CrossEntropy without
 * shift, Add, Mul), so every backend with gradient kernels trains it. Returns the total loss's value name.
 */
export function appendRoutingLoss(
  e: GraphEmitter, lmLoss: string, weight: number, constants: Map<string, HostTensor>, totalName: string,
): string {
  if (!(Number.isFinite(weight) && weight > 0)) throw new InputError(`routing loss weight must be a number > 0, got ${weight}`);
  const softmax = e.producers().get('scalings');
  if (!softmax) throw new InputError('routing loss: the training graph has no "scalings" (not an X-LoRA graph)');
  const [logits, temperature] = softmax.op === 'Softmax' ? [softmax.inputs[0], softmax.attrs.temperature] : ['scalings', 1];
  const shape = e.value(logits).shape; // [B, S, L, C]
  const layers = shape[2], experts = shape[3];
  if (typeof layers !== 'number' || typeof experts !== 'number') throw new InputError(`routing loss: scalings of shape [${shape.join(', ')}]: expected fixed layer and expert counts`);
  e.input(ROUTING_INPUT, 'i32', ['batch', 'seq']);
  const constant = (name: string, value: number) => {
    constants.set(name, f32([1], [value]));
    return e.weight(name, [1]).name;
  };
  const scaled = temperature === 1 ? logits : e.emit1('Mul', [logits, constant('xlora.routing_inverse_temperature', 1 / temperature)], {});
  let sum: string | null = null;
  for (let l = 0; l < layers; l++) {
    const slice = e.emit1('Slice', [scaled], { axis: 2, start: l, end: l + 1 }); // [B, S, 1, C]
    const rows = e.emit1('Reshape', [slice], { shape: [0, 0, experts] }); // [B, S, C]
    const ce = e.emit1('CrossEntropy', [rows, ROUTING_INPUT], { ignoreIndex: -100, shift: false });
    sum = sum === null ? ce : e.emit1('Add', [sum, ce], {});
  }
  const routing = e.emit1('Mul', [sum!, constant('xlora.routing_layer_mean', 1 / layers)], {}, ROUTING_LOSS_OUTPUT);
  e.output(routing);
  return e.emit1('Add', [lmLoss, e.emit1('Mul', [routing, constant('xlora.routing_weight', weight)], {})], {}, totalName);
}

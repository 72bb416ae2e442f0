import { f32, GraphBuilder, type Graph, type HostTensor, type Value } from '@xlora/core';
import type { BaseModelConfig } from '@xlora/config';
import { buildClassifier, type ClassifierLayout } from '@xlora/classifier';
import type { MixtureKnobs, StackedModule } from '@xlora/lora-layers';
import type { Architecture, PassInputs, PassLora } from '../architectures/architecture.js';
import { passContext } from '../architectures/pass-context.js';
import { architectureOf } from '../architectures/registry.js';

/** How the experts are weighted in the pass that produces logits. */
export type Routing =
  /** PEFT X-LoRA: scaling pass → classifier → real pass */
  | { kind: 'xlora'; classifier: ClassifierLayout; enableSoftmax: boolean; softmaxTemperature: number; scalingPassValue: number }
  /** constant per-expert weights, no classifier: all zeros = the base model, one-hot = a plain LoRA model */
  | { kind: 'fixed'; weights: readonly number[] }
  /** scalings fed as the input "scalings" [B,1,Lc,C] (frozen per sequence): no scaling pass, no classifier */
  | { kind: 'given'; scalingLayers: number };

export interface StepGraphSpec {
  config: BaseModelConfig;
  /** default: the config's (architectureOf) */
  architecture?: Architecture;
  wrapped: ReadonlyMap<string, { stacked: StackedModule; layer: number }>;
  knobs: MixtureKnobs;
  routing: Routing;
  /** 'last': logits of the last position only (generation); 'all': every position (forward) */
  logits: 'all' | 'last';
  /** the architecture's length variant (Architecture.variantFor), null for most */
  variant?: string | null;
}

export interface StepGraph {
  graph: Graph;
  /** constant tensors the graph declares as weights, to add to the model's weight map */
  constants: Map<string, HostTensor>;
  /** passes whose KV caches the graph reads and writes, e.g. ["scaling", "real"] */
  passes: string[];
}

export const SCALING_PASS = 'scaling';
export const REAL_PASS = 'real';

/** The passes (and so KV caches) of a step graph. */
export function stepPasses(xlora: boolean): string[] {
  return xlora ? [SCALING_PASS, REAL_PASS] : [REAL_PASS];
}

function constantScalings(name: string, values: readonly number[], g: GraphBuilder, constants: Map<string, HostTensor>): Value {
  constants.set(name, f32([1, 1, 1, values.length], values));
  return g.weight(name, [1, 1, 1, values.length]);
}

/**
 * One model call on new tokens, with KV caches for every pass it runs. Outputs: "logits" [B,S|1,V],
 * "hidden" [B,S,H] (final normed hidden state of the real pass), and for X-LoRA "scalings" [B,S,Lc,C]
 * (after softmax, before top-k) and "classifier_input" [B,S,H].
 */
export function buildStepGraph(spec: StepGraphSpec): StepGraph {
  const { config, wrapped, knobs, routing } = spec;
  const arch = spec.architecture ?? architectureOf(config);
  const variant = spec.variant ?? null;
  const g = new GraphBuilder(`${routing.kind}-step-${spec.logits}${variant ? `-${variant}` : ''}`);
  const constants = new Map<string, HostTensor>();
  const inputs: PassInputs = {
    inputIds: g.input('input_ids', 'i32', ['batch', 'seq']),
    positionIds: g.input('position_ids', 'i32', ['batch', 'seq']),
    attentionMask: g.input('attention_mask', 'i32', ['batch', 'past+seq']),
  };
  const pass = (name: string, lora: PassLora | null, hiddenName: string) =>
    g.withScope(name, () => arch.buildPass(passContext(g, config, inputs, name, lora, constants, variant), hiddenName));
  const passes = stepPasses(routing.kind === 'xlora');
  let realLora: PassLora | null = null;

  if (routing.kind === 'xlora') {
    // Scaling pass: every expert at the constant scaling_pass_value; 0 is exactly the base model, so skip LoRA.
    const passLora: PassLora | null = routing.scalingPassValue === 0 ? null : {
      modules: wrapped, knobs,
      scalings: constantScalings('xlora.scaling_pass_scalings', new Array(knobs.numExperts).fill(routing.scalingPassValue), g, constants),
    };
    const classifierInput = pass(SCALING_PASS, passLora, 'classifier_input');
    const scalings = buildClassifier(g, classifierInput, routing.classifier, routing, 'scalings');
    g.output('classifier_input', classifierInput);
    g.output('scalings', scalings);
    realLora = { modules: wrapped, knobs, scalings };
  } else if (routing.kind === 'given') {
    const scalings = g.input('scalings', 'f32', ['batch', 1, routing.scalingLayers, knobs.numExperts]);
    realLora = { modules: wrapped, knobs, scalings };
  } else if (routing.weights.some((w) => w !== 0)) {
    realLora = { modules: wrapped, knobs, scalings: constantScalings('xlora.fixed_scalings', routing.weights, g, constants) };
  }

  let hidden = pass(REAL_PASS, realLora, 'hidden');
  g.output('hidden', hidden);
  let headLora = realLora;
  if (spec.logits === 'last') {
    hidden = g.slice(hidden, { axis: 1, start: -1, end: null });
    if (realLora && realLora.scalings.shape[1] !== 1 && wrapped.has('lm_head')) {
      headLora = { ...realLora, scalings: g.slice(realLora.scalings, { axis: 1, start: -1, end: null }) };
    }
  }
  const logits = arch.buildHead(passContext(g, config, inputs, REAL_PASS, headLora, constants, variant), hidden);
  g.output('logits', logits);
  return { graph: g.build(), constants, passes };
}

import { InputError, type Backend, type DeviceTensor, type HostTensor, type WeightMap, type WeightTensor } from '@xlora/core';
import type { BaseModelConfig, XLoraConfig } from '@xlora/config';
import type { ClassifierLayout } from '@xlora/classifier';
import type { MixtureKnobs, StackedModule } from '@xlora/lora-layers';
import type { Architecture } from '../architectures/architecture.js';
import { ExecutableCache, type ExecutableLease } from './executable-cache.js';
import type { KvCaches } from './kv-caches.js';
import { buildStepGraph, stepPasses, type Routing } from './step-graph.js';

/** Which experts produce the logits: X-LoRA routing (default), the plain base model, or one expert as plain LoRA. */
export type ModelMode = 'xlora' | 'base' | { expert: number };

/** Step graphs: the user-facing modes plus X-LoRA with frozen scalings. */
export type StepMode = ModelMode | 'frozen';

/** PEFT's runtime knobs as one call sees them: each call takes a copy when it starts. */
export interface Knobs {
  topK: number | null;
  softmaxTopK: boolean;
  globalWeight: number;
  scalingPassValue: number;
}

/** What a step needs of KV caches: KvCaches, or a scheduler's own (e.g. rows of several sequences in one padded cache). */
export type StepCaches = Pick<KvCaches, 'feeds' | 'presentNames' | 'advance'>;

/** One forward or generate call: the knobs it started with and the compiled graphs it holds until it ends. */
export interface Call {
  knobs: Knobs;
  lease: ExecutableLease;
}

/** One cached step: what to feed and which graph variant. */
export interface StepRequest {
  mode: StepMode;
  logits: 'all' | 'last';
  caches: StepCaches;
  ids: HostTensor;
  /** attention_mask [B, past+S] */
  mask: HostTensor;
  positions: HostTensor;
  /** outputs wanted beyond logits, scalings and the present caches */
  extra?: string[];
  extraFeeds?: Record<string, HostTensor>;
  /** the architecture's length variant; default: from the largest position id */
  variant?: string | null;
}

/**
 * Builds, compiles (once per mode × logits × knobs × variant, in an ExecutableCache) and runs the step graphs of
 * one model on one backend.
 */
export class StepRunner {
  readonly compiled: ExecutableCache;

  constructor(
    readonly backend: Backend,
    readonly config: BaseModelConfig,
    readonly architecture: Architecture,
    private readonly xloraConfig: XLoraConfig,
    private readonly layout: ClassifierLayout,
    private readonly weights: ReadonlyMap<string, WeightTensor>,
    private readonly stacked: ReadonlyMap<string, { stacked: StackedModule; layer: number }>,
    readonly numExperts: number,
    maxCompiledGraphs: number,
  ) {
    this.compiled = new ExecutableCache(backend, maxCompiledGraphs);
  }

  /** The architecture's graph variant for a call whose largest position id is `maxPosition` (null: one graph for all). */
  variantFor(maxPosition: number): string | null {
    return this.architecture.variantFor?.(this.config, maxPosition) ?? null;
  }

  /** The step graph of `mode` and the weights it needs. */
  stepGraph(mode: StepMode, logits: 'all' | 'last', knobs: Knobs, variant: string | null = null) {
    const { graph, constants, passes } = buildStepGraph({
      config: this.config, architecture: this.architecture, wrapped: this.stacked, knobs: this.mixtureKnobs(mode, knobs),
      routing: this.routing(mode, knobs), logits, variant,
    });
    const weights: WeightMap = constants.size ? new Map([...this.weights, ...constants]) : this.weights;
    return { graph, weights, passes };
  }

  /** Runs one step: the caches advance by S; returns the wanted outputs (present caches already taken by `caches`). */
  async run(call: Call, req: StepRequest): Promise<Record<string, DeviceTensor>> {
    const variant = req.variant !== undefined ? req.variant : this.variantFor(maxOf(req.positions));
    const exe = await this.executable(call, req.mode, req.logits, variant);
    const passes = this.passesFor(req.mode);
    const wanted = ['logits', ...(req.mode === 'xlora' ? ['scalings'] : []), ...(req.extra ?? []), ...req.caches.presentNames(passes)];
    // attention_mask spans past + new tokens
    const feeds = { input_ids: req.ids, position_ids: req.positions, attention_mask: req.mask, ...req.caches.feeds(passes), ...req.extraFeeds };
    const out = await this.backend.run(exe, feeds, { outputs: wanted });
    req.caches.advance(out, passes);
    return out;
  }

  /** Releases a step's outputs (not the present caches, which the caches own now). */
  releaseAll(out: Record<string, DeviceTensor>): void {
    for (const [name, t] of Object.entries(out)) if (!name.includes('.present.')) this.backend.release(t);
  }

  passesFor(mode: StepMode): string[] {
    return stepPasses(mode === 'xlora');
  }

  /** Fails on an expert that does not exist (before any work). */
  routing(mode: StepMode, k: Knobs): Routing {
    if (mode === 'frozen') return { kind: 'given', scalingLayers: this.layout.scalingLayers };
    if (mode === 'xlora') {
      const xc = this.xloraConfig;
      return { kind: 'xlora', classifier: this.layout, enableSoftmax: xc.enableSoftmax, softmaxTemperature: xc.softmaxTemperature, scalingPassValue: k.scalingPassValue };
    }
    const weights = new Array<number>(this.numExperts).fill(0);
    if (mode !== 'base') {
      if (!(Number.isInteger(mode.expert) && mode.expert >= 0 && mode.expert < this.numExperts)) {
        throw new InputError(`expert ${mode.expert} does not exist (the model has experts 0..${this.numExperts - 1})`);
      }
      weights[mode.expert] = 1;
    }
    return { kind: 'fixed', weights };
  }

  /** The step graph of `mode` with the call's knobs, compiled once and held by the call until it ends. */
  private executable(call: Call, mode: StepMode, logits: 'all' | 'last', variant: string | null) {
    const k = call.knobs;
    const modeKey = typeof mode === 'string' ? mode : `expert${mode.expert}`;
    const key = `${modeKey}|${logits}|topk=${k.topK}|smtopk=${k.softmaxTopK}|g=${k.globalWeight}|spv=${k.scalingPassValue}|v=${variant}`;
    return call.lease.get(key, () => this.stepGraph(mode, logits, k, variant));
  }

  private mixtureKnobs(mode: StepMode, k: Knobs): MixtureKnobs {
    if (mode === 'frozen') return { topK: null, softmaxTopK: false, globalWeight: k.globalWeight, numExperts: this.numExperts };
    if (mode === 'xlora') return { topK: k.topK, softmaxTopK: k.softmaxTopK, globalWeight: k.globalWeight, numExperts: this.numExperts };
    return { topK: null, softmaxTopK: false, globalWeight: 1, numExperts: this.numExperts };
  }
}

/** The largest value of an i32 tensor (position ids). */
export function maxOf(t: HostTensor): number {
  let m = -Infinity;
  for (let i = 0; i < t.data.length; i++) if (t.data[i] > m) m = t.data[i];
  return m;
}

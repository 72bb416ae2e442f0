import { InputError, isPacked, type Backend, type DeviceTensor, type HostTensor, type WeightMap, type WeightTensor } from '@xlora/core';
import type { WrappedModule } from '@xlora/lora-layers';
import { expandLayers, ScalingsLogger, type ScalingsTensor } from '@xlora/scaling-logger';
import type { Architecture } from '../architectures/architecture.js';
import { architectureOf } from '../architectures/registry.js';
import { arangePositions, onesMask } from '../generation/positions.js';
import { prepareExpertWeights, type ExpertDtype } from './expert-weights.js';
import { runGeneration, type GenerateOptions, type GenerateResult } from './generation-driver.js';
import { checkAttentionMask, checkForwardLength, checkInputIds, checkPositionIds, newTokenBudget } from './input-checks.js';
import { KvCaches } from './kv-caches.js';
import type { XLoraModelParts } from './model-parts.js';
import { maxOf, StepRunner, type Call, type Knobs, type ModelMode, type StepCaches, type StepMode } from './step-runner.js';

export type { ExpertDtype } from './expert-weights.js';
export type { GenerateOptions, GenerateResult } from './generation-driver.js';
export type { Knobs, ModelMode, StepCaches } from './step-runner.js';

export interface ForwardOptions {
  /** i32 [B,S], 1 = token, 0 = padding */
  attentionMask?: HostTensor;
  /** i32 [B,S]; default 0..S-1 (as a transformers forward without position_ids) */
  positionIds?: HostTensor;
  mode?: ModelMode;
}

export interface ForwardResult {
  /** [B,S,V] */
  logits: HostTensor<'f32'>;
  /** [B,S,L,C] after the classifier softmax, before top-k (X-LoRA mode only) */
  scalings?: HostTensor<'f32'>;
  /** [B,S,H] hidden state the classifier read (X-LoRA mode only) */
  classifierInput?: HostTensor<'f32'>;
  /** [B,S,H] final normed hidden state of the pass that produced the logits (HF hidden_states[-1]) */
  hidden: HostTensor<'f32'>;
}

/** One cached step over rows a scheduler assembled (serving): see XLoraModel.runStep. */
export interface BatchStepInput {
  /** 'xlora': scaling pass, classifier, real pass (caches of both passes); 'frozen': the real pass only, with `scalings` */
  mode: 'xlora' | 'frozen';
  knobs: Knobs;
  caches: StepCaches;
  /** i32 [B,S] */
  inputIds: HostTensor;
  /** i32 [B,S], per row */
  positionIds: HostTensor;
  /** i32 [B,past+S]: 0 at the cache columns a row does not own (gaps), 1 at its tokens */
  attentionMask: HostTensor;
  /** frozen: [B,1,Lc,C] per row, as each layer uses them (after top-k / softmax-top-k) */
  scalings?: HostTensor<'f32'>;
}

export interface BatchStepOutput {
  /** [B,1,V] logits of each row's last position */
  logits: HostTensor<'f32'>;
  /** xlora: [B,S,Lc,C] after the classifier softmax, before top-k */
  scalings?: HostTensor<'f32'>;
}

/**
 * A PEFT X-LoRA model on a backend: the scaling pass, classifier and real pass compiled into one step graph,
 * two KV caches for generation, PEFT's runtime knobs and scalings log. The base model's architecture
 * (architectures/) supplies the module order, shapes and graph; expert-weights.ts prepares the stacked experts,
 * step-runner.ts compiles and runs the step graphs, generation-driver.ts runs generate.
 */
export class XLoraModel {
  readonly logger = new ScalingsLogger();
  readonly wrappedModules: readonly WrappedModule[];
  readonly numExperts: number;
  readonly architecture: Architecture;
  private readonly weights: Map<string, WeightTensor>;
  private readonly runner: StepRunner;
  private knobState: Knobs;
  private latestScalings: HostTensor<'f32'> | null = null;

  /**
   * @param options.maxCompiledGraphs how many step graphs (mode × all/last logits) stay compiled; the least recently
   *   used is disposed beyond that (default 4: a generate with frozen scalings uses 2, a forward 1). Graphs that
   *   a call in flight uses are never disposed: concurrent calls may hold more for as long as they run.
   */
  constructor(readonly parts: XLoraModelParts, readonly backend: Backend, options: { maxCompiledGraphs?: number; expertDtype?: ExpertDtype } = {}) {
    const maxCompiledGraphs = options.maxCompiledGraphs ?? 4;
    if (!(Number.isInteger(maxCompiledGraphs) && maxCompiledGraphs >= 2)) {
      throw new InputError(`maxCompiledGraphs must be an integer >= 2, got ${options.maxCompiledGraphs}`);
    }
    const { baseConfig: cfg, xloraConfig: xc, experts } = parts;
    this.architecture = architectureOf(cfg);
    const prepared = prepareExpertWeights(parts, this.architecture, options.expertDtype ?? 'f32');
    this.numExperts = experts.length;
    this.wrappedModules = prepared.wrappedModules;
    this.weights = prepared.weights;
    this.runner = new StepRunner(backend, cfg, this.architecture, xc, prepared.layout, prepared.weights, prepared.stacked, this.numExperts, maxCompiledGraphs);
    this.knobState = {
      topK: xc.topKLora,
      softmaxTopK: xc.enableSoftmaxTopk,
      globalWeight: xc.globalScalingWeight,
      scalingPassValue: xc.scalingPassValue ?? 1 / this.numExperts,
    };
  }

  /** L: number of LoRA-wrapped modules (X-LoRA layers) */
  get numLayers(): number {
    return this.wrappedModules.length;
  }

  get config() {
    return this.parts.baseConfig;
  }

  // ---- runtime knobs (PEFT: set_topk_lora, set_global_scaling_weight, set_scaling_pass_value) ----
  // A change applies to calls started after it; calls in flight keep the knobs they started with.
  setTopKLora(k: number | null): void {
    if (k !== null && !(Number.isInteger(k) && k >= 1)) throw new InputError(`setTopKLora: k must be null or an integer >= 1, got ${k}`);
    this.setKnobs({ topK: k });
  }
  getTopKLora(): number | null {
    return this.knobState.topK;
  }
  setSoftmaxTopK(on: boolean): void {
    this.setKnobs({ softmaxTopK: on });
  }
  setGlobalScalingWeight(w: number): void {
    if (!Number.isFinite(w)) throw new InputError(`setGlobalScalingWeight: weight must be a finite number, got ${w}`);
    this.setKnobs({ globalWeight: w });
  }
  getGlobalScalingWeight(): number {
    return this.knobState.globalWeight;
  }
  /** null means 1/n, as in PEFT */
  setScalingPassValue(v: number | null): void {
    if (v !== null && !Number.isFinite(v)) throw new InputError(`setScalingPassValue: value must be a finite number or null, got ${v}`);
    this.setKnobs({ scalingPassValue: v ?? 1 / this.numExperts });
  }
  getScalingPassValue(): number {
    return this.knobState.scalingPassValue;
  }
  /** [B,S,L,C] scalings of the last call (the whole sequence after generate), like get_latest_scalings() */
  getLatestScalings(): HostTensor<'f32'> | null {
    return this.latestScalings;
  }

  /** One full forward pass (no cache), like calling the PEFT model. */
  async forward(inputIds: HostTensor, options: ForwardOptions = {}): Promise<ForwardResult> {
    const [batch, seq] = checkInputIds(inputIds, this.config);
    checkForwardLength(seq, this.config);
    checkAttentionMask(options.attentionMask, batch, seq);
    checkPositionIds(options.positionIds, batch, seq, this.config);
    const mode = options.mode ?? 'xlora';
    this.runner.routing(mode, this.knobState); // an unknown expert fails before any work
    const call = this.startCall(this.knobState);
    const caches = new KvCaches(this.backend, this.config, this.runner.passesFor(mode), batch);
    try {
      const out = await this.runner.run(call, {
        mode, logits: 'all', caches, ids: inputIds, mask: options.attentionMask ?? onesMask(batch, seq),
        positions: options.positionIds ?? arangePositions(batch, seq), extra: mode === 'xlora' ? ['hidden', 'classifier_input'] : ['hidden'],
      });
      const result: ForwardResult = {
        logits: (await this.backend.read(out.logits)) as HostTensor<'f32'>,
        hidden: (await this.backend.read(out.hidden)) as HostTensor<'f32'>,
      };
      if (mode === 'xlora') {
        result.scalings = await this.readScalings(out.scalings);
        result.classifierInput = (await this.backend.read(out.classifier_input)) as HostTensor<'f32'>;
        this.latestScalings = result.scalings;
        this.logger.record(result.scalings);
      }
      this.runner.releaseAll(out);
      return result;
    } finally {
      caches.dispose();
      call.lease.end();
    }
  }

  /** Greedy or sampled generation with two KV caches (scaling pass, real pass); equals PEFT's full recompute. */
  async generate(inputIds: HostTensor, options: GenerateOptions): Promise<GenerateResult> {
    const [batch, promptLen] = checkInputIds(inputIds, this.config);
    checkAttentionMask(options.attentionMask, batch, promptLen);
    const budget = newTokenBudget(promptLen, options.maxNewTokens, this.config);
    this.runner.routing(options.mode ?? 'xlora', this.knobState); // an unknown expert fails before any work
    const call = this.startCall(this.knobState);
    try {
      const host = { runner: this.runner, logger: this.logger, numLayers: this.numLayers, eosTokenIds: this.parts.eosTokenIds ?? [], padTokenId: this.parts.padTokenId ?? null };
      const { result, latest } = await runGeneration(host, call, inputIds, batch, promptLen, options, budget);
      if (latest) this.latestScalings = { dtype: 'f32', shape: latest.shape, data: latest.data };
      return result;
    } finally {
      call.lease.end();
    }
  }

  /** A copy of the runtime knobs calls started now would use. */
  knobs(): Knobs {
    return { ...this.knobState };
  }

  /**
   * One step of generation for rows a scheduler assembled: the caller owns the caches (they advance by S), the
   * positions and masks per row, and the knobs (so rows of requests with different knobs run in separate steps).
   * Nothing is logged; the step's graph is compiled once and shared with generate calls of the same knobs.
   */
  async runStep(input: BatchStepInput): Promise<BatchStepOutput> {
    const [batch, seq] = checkInputIds(input.inputIds, this.config);
    checkPositionIds(input.positionIds, batch, seq, this.config);
    if (input.attentionMask.shape[0] !== batch || input.attentionMask.shape[1] < seq) {
      throw new InputError(`runStep: attention_mask has shape [${input.attentionMask.shape}], expected [${batch}, past+${seq}]`);
    }
    const frozen = input.mode === 'frozen';
    if (frozen && input.scalings?.shape[0] !== batch) throw new InputError(`runStep: frozen mode needs scalings [${batch}, 1, Lc, C]`);
    const variant = this.runner.variantFor(maxOf(input.positionIds));
    if (variant !== this.runner.variantFor(0) && input.attentionMask.shape[1] > seq) {
      throw new InputError(`runStep: position ${maxOf(input.positionIds)} needs the "${variant}" graph of ${this.config.architecture} (LongRoPE past original_max_position_embeddings), whose caches differ from the ones built before; recompute the row from its prompt`);
    }
    const call = this.startCall(input.knobs);
    try {
      const out = await this.runner.run(call, {
        mode: input.mode, logits: 'last', caches: input.caches, ids: input.inputIds, mask: input.attentionMask, positions: input.positionIds,
        extraFeeds: frozen ? { scalings: input.scalings! } : {}, variant,
      });
      const result: BatchStepOutput = { logits: (await this.backend.read(out.logits)) as HostTensor<'f32'> };
      if (!frozen) result.scalings = (await this.backend.read(out.scalings)) as HostTensor<'f32'>;
      this.runner.releaseAll(out);
      return result;
    } finally {
      call.lease.end();
    }
  }

  /**
   * The step graph of `mode` and the weights it needs, for exporting (e.g. to ONNX) or compiling elsewhere.
   * Inputs: input_ids, position_ids, attention_mask [B, past+seq] and the past KV caches of each pass.
   * `variant`: the architecture's length variant (Phi-3 LongRoPE "short"/"long"; default the short-context one).
   */
  stepGraph(mode: StepMode = 'xlora', logits: 'all' | 'last' = 'last', knobs: Knobs = this.knobState, variant: string | null = this.runner.variantFor(0)):
    { graph: ReturnType<StepRunner['stepGraph']>['graph']; weights: WeightMap; passes: string[] } {
    return this.runner.stepGraph(mode, logits, knobs, variant);
  }

  /**
   * Host memory the model's tensors hold: every distinct ArrayBuffer behind the graph weights, the classifier and
   * the loaded experts (tensors that view one file buffer count that buffer once).
   */
  hostTensorBytes(): number {
    const buffers = new Set<ArrayBufferLike>();
    const add = (t: WeightTensor) => buffers.add(isPacked(t) ? t.bytes.buffer : t.data.buffer);
    for (const t of this.weights.values()) add(t);
    for (const e of this.parts.experts) {
      for (const m of e.modules.values()) { add(m.a); add(m.b); }
      for (const m of e.embeddings?.values() ?? []) { add(m.a); add(m.b); }
    }
    let bytes = 0;
    for (const b of buffers) bytes += b.byteLength;
    return bytes;
  }

  /** Frees compiled graphs (weights stay in host memory; the backend is the caller's); calls in flight finish first. */
  dispose(): void {
    this.runner.compiled.clear();
  }

  private startCall(knobs: Knobs): Call {
    return { knobs: { ...knobs }, lease: this.runner.compiled.lease() };
  }

  private setKnobs(change: Partial<Knobs>): void {
    this.knobState = { ...this.knobState, ...change };
    this.runner.compiled.clear(); // graphs of the old knobs: idle ones now, those in use when their calls end
  }

  private async readScalings(t: DeviceTensor): Promise<HostTensor<'f32'>> {
    const host = (await this.backend.read(t)) as HostTensor<'f32'>;
    const full = expandLayers(host as ScalingsTensor, this.numLayers);
    return { dtype: 'f32', shape: full.shape, data: full.data };
  }
}

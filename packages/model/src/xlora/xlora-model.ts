import { InputError, i32, isPacked, quantize, type Backend, type DeviceTensor, type HostTensor, type WeightMap, type WeightTensor } from '@xlora/core';
import { classifierLayout, CLASSIFIER_PREFIX, validateClassifierWeights, type ClassifierLayout } from '@xlora/classifier';
import { effectiveScalings, embeddingMixtureWeights, embeddingWeightNames, planWrappedModules, stackedWeightNames, stackExperts, type MixtureKnobs, type StackedModule, type WrappedModule } from '@xlora/lora-layers';
import { concatAlongSequence, expandLayers, ScalingsLogger, type ScalingsTensor } from '@xlora/scaling-logger';
import { EMBEDDING_MODULE, linearModulesInOrder, linearShape } from '../llama/architecture.js';
import { arangePositions, inferAttentionMask, onesMask, positionsFromMask } from '../generation/positions.js';
import { TokenSampler, type SamplingOptions } from '../generation/sampler.js';
import { appendOnes, lastPosition } from '../generation/sequence-tensors.js';
import { ExecutableCache, type ExecutableLease } from './executable-cache.js';
import { checkAttentionMask, checkForwardLength, checkInputIds, checkPositionIds, newTokenBudget } from './input-checks.js';
import { KvCaches } from './kv-caches.js';
import type { XLoraModelParts } from './model-parts.js';
import { buildStepGraph, stepPasses, type Routing } from './step-graph.js';

/** Storage of the experts' stacked LoRA matrices: f32, or f16 (packed; backends dequantize or run it natively). */
export type ExpertDtype = 'f32' | 'f16';

/** Which experts produce the logits: X-LoRA routing (default), the plain base model, or one expert as plain LoRA. */
export type ModelMode = 'xlora' | 'base' | { expert: number };

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

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** i32 [B,P]; default: inferred from the pad token as transformers does, else all ones */
  attentionMask?: HostTensor;
  /** stop a row at these ids (default: the model's eos ids); finished rows continue with the pad id */
  eosTokenIds?: readonly number[];
  mode?: ModelMode;
  /**
   * Frozen scalings (off by default: exact PEFT semantics). After this many generated tokens each sequence keeps
   * the scalings of its last exact step and the scaling pass is skipped: decode costs one pass instead of two.
   */
  freezeScalingsAfter?: number;
  /** keep each step's last-position logits [B,V] in the result */
  returnStepLogits?: boolean;
  /** called after every step with the new token of each row */
  onToken?: (step: number, tokens: readonly number[]) => void | Promise<void>;
  /** called before the first step with anything generate changed about the request (e.g. maxNewTokens cut to the context) */
  onNote?: (message: string) => void;
  signal?: AbortSignal;
}

export interface GenerateResult {
  /** [B, P+N] prompt and generated ids, like HF generate */
  tokens: number[][];
  /** per step, [B,V] raw logits of the last position */
  stepLogits?: HostTensor<'f32'>[];
  /** why generation ended */
  stopReason: 'max-new-tokens' | 'eos' | 'aborted';
  /** what generate changed about the request, as passed to onNote */
  notes: string[];
}

/** PEFT's runtime knobs as one call sees them: each call takes a copy when it starts. */
export interface Knobs {
  topK: number | null;
  softmaxTopK: boolean;
  globalWeight: number;
  scalingPassValue: number;
}

/** What a step needs of KV caches: KvCaches, or a scheduler's own (e.g. rows of several sequences in one padded cache). */
export type StepCaches = Pick<KvCaches, 'feeds' | 'presentNames' | 'advance'>;

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
 * two KV caches for generation, PEFT's runtime knobs and scalings log.
 */
export class XLoraModel {
  readonly logger = new ScalingsLogger();
  readonly wrappedModules: readonly WrappedModule[];
  readonly numExperts: number;
  private readonly layout: ClassifierLayout;
  private readonly weights: Map<string, WeightTensor>;
  private readonly stacked: Map<string, { stacked: StackedModule; layer: number }>;
  private readonly compiled: ExecutableCache;
  private knobState: Knobs;
  private latestScalings: HostTensor<'f32'> | null = null;

  /**
   * @param options.maxCompiledGraphs how many step graphs (mode × all/last logits) stay compiled; the least recently
   *   used is disposed beyond that (default 4: a generate with frozen scalings uses 2, a forward 1). Graphs that
   *   a call in flight uses are never disposed: concurrent calls may hold more for as long as they run.
   */
  constructor(readonly parts: XLoraModelParts, readonly backend: Backend, options: { maxCompiledGraphs?: number; expertDtype?: ExpertDtype } = {}) {
    const maxCompiledGraphs = options.maxCompiledGraphs ?? 4;
    const expertDtype = options.expertDtype ?? 'f32';
    if (expertDtype !== 'f32' && expertDtype !== 'f16') throw new InputError(`expertDtype must be "f32" or "f16", got ${JSON.stringify(options.expertDtype)}`);
    const expertWeight = (t: HostTensor<'f32'>, name: string): WeightTensor => (expertDtype === 'f16' ? quantize(t, 'f16', name) : t);
    if (!(Number.isInteger(maxCompiledGraphs) && maxCompiledGraphs >= 2)) {
      throw new InputError(`maxCompiledGraphs must be an integer >= 2, got ${options.maxCompiledGraphs}`);
    }
    this.compiled = new ExecutableCache(backend, maxCompiledGraphs);
    const { baseConfig: cfg, xloraConfig: xc, experts } = parts;
    if (xc.hiddenSize !== cfg.hiddenSize) {
      throw new InputError(`adapter_config.json field "hidden_size" is ${xc.hiddenSize} but the base model's hidden_size is ${cfg.hiddenSize}`);
    }
    const adapterCount = Object.keys(xc.adapters).length;
    if (experts.length !== adapterCount) throw new InputError(`adapter_config.json lists ${adapterCount} adapters but ${experts.length} experts were loaded`);
    this.numExperts = experts.length;
    this.wrappedModules = planWrappedModules(linearModulesInOrder(cfg), experts);
    this.layout = classifierLayout(xc, cfg.hiddenSize, this.wrappedModules.length, this.numExperts);
    validateClassifierWeights(parts.classifierWeights, this.layout, parts.classifierFile ?? 'adapter_model.safetensors');

    this.weights = new Map(parts.baseWeights);
    for (const [k, t] of parts.classifierWeights) this.weights.set(CLASSIFIER_PREFIX + k, t);
    this.stacked = new Map();
    for (const m of this.wrappedModules) {
      const { inFeatures, outFeatures } = linearShape(cfg, m.modulePath);
      const stacked = stackExperts(m.modulePath, experts, inFeatures, outFeatures);
      const names = stackedWeightNames(m.modulePath);
      this.weights.set(names.b, expertWeight(stacked.b, names.b));
      if (m.modulePath === EMBEDDING_MODULE) {
        const extra = embeddingMixtureWeights(stacked);
        const embNames = embeddingWeightNames(m.modulePath);
        this.weights.set(embNames.aT, expertWeight(extra.aT, embNames.aT));
        this.weights.set(embNames.identity, extra.identity);
      } else {
        this.weights.set(names.a, expertWeight(stacked.a, names.a));
      }
      this.stacked.set(m.modulePath, { stacked, layer: m.layer });
    }
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
    this.routing(mode, this.knobState); // an unknown expert fails before any work
    const call: Call = { knobs: { ...this.knobState }, lease: this.compiled.lease() };
    const caches = new KvCaches(this.backend, this.config, this.passesFor(mode), batch);
    try {
      const out = await this.step(call, mode, 'all', caches, inputIds, options.attentionMask ?? onesMask(batch, seq),
        options.positionIds ?? arangePositions(batch, seq), mode === 'xlora' ? ['hidden', 'classifier_input'] : ['hidden']);
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
      this.releaseAll(out);
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
    const mode = options.mode ?? 'xlora';
    this.routing(mode, this.knobState); // an unknown expert fails before any work
    const eos = options.eosTokenIds ?? this.parts.eosTokenIds ?? [];
    const pad = this.parts.padTokenId ?? eos[0] ?? 0;
    const sampler = new TokenSampler(options);
    let mask = options.attentionMask ?? inferAttentionMask(inputIds, this.parts.padTokenId, eos);
    const tokens: number[][] = Array.from({ length: batch }, (_, b) => Array.from(inputIds.data.subarray(b * promptLen, (b + 1) * promptLen)));
    const nextPosition = Array.from({ length: batch }, (_, b) => tokens[b].filter((_, s) => mask.data[b * promptLen + s] !== 0).length);
    const finished = new Array<boolean>(batch).fill(false);
    const stepLogits: HostTensor<'f32'>[] = [];
    const freezeAt = options.freezeScalingsAfter;
    if (freezeAt !== undefined && !(Number.isInteger(freezeAt) && freezeAt >= 1)) {
      throw new InputError(`freezeScalingsAfter must be an integer >= 1, got ${freezeAt}`);
    }
    if (freezeAt !== undefined && mode !== 'xlora') throw new InputError('freezeScalingsAfter only applies to X-LoRA mode');
    const notes = budget.note ? [budget.note] : [];
    for (const n of notes) options.onNote?.(n);
    const call: Call = { knobs: { ...this.knobState }, lease: this.compiled.lease() };
    const caches = new KvCaches(this.backend, this.config, this.passesFor(mode), batch);
    let frozen: HostTensor<'f32'> | null = null; // [B,1,Lc,C] effective scalings fed to the frozen graph
    let frozenRaw: HostTensor<'f32'> | null = null; // the same rows before top-k, for the log
    let ids: HostTensor = inputIds;
    let positions: HostTensor = positionsFromMask(mask);
    let running: ScalingsTensor | null = null;
    let stopReason: GenerateResult['stopReason'] = 'max-new-tokens';
    try {
      for (let step = 0; step < budget.maxNewTokens; step++) {
        if (options.signal?.aborted) {
          stopReason = 'aborted';
          break;
        }
        const out = frozen
          ? await this.step(call, 'frozen', 'last', caches, ids, mask, positions, [], { scalings: frozen })
          : await this.step(call, mode, 'last', caches, ids, mask, positions, []);
        const logits = (await this.backend.read(out.logits)) as HostTensor<'f32'>; // [B,1,V]
        if (mode === 'xlora') {
          const compact = frozenRaw ?? (await this.backend.read(out.scalings)) as HostTensor<'f32'>; // [B,S|1,Lc,C], pre-top-k
          const fresh = this.expandToSequence(compact, ids.shape[1]);
          running = running ? concatAlongSequence(running, fresh) : fresh;
          this.logger.record(running);
          if (!frozen && freezeAt !== undefined && step + 1 >= freezeAt) {
            // frozen rows are stored as each layer uses them (after top-k / softmax-top-k), so the frozen graph skips that work
            frozen = effectiveScalings(lastPosition(compact), call.knobs.topK, call.knobs.softmaxTopK);
            frozenRaw = lastPosition(compact);
          }
        }
        this.releaseAll(out);
        const vocab = logits.shape[2];
        if (options.returnStepLogits) stepLogits.push({ dtype: 'f32', shape: [batch, vocab], data: logits.data });
        const picked = tokens.map((_, b) => (finished[b] ? pad : sampler.pick(logits.data.subarray(b * vocab, (b + 1) * vocab))));
        picked.forEach((t, b) => {
          tokens[b].push(t);
          if (eos.includes(t)) finished[b] = true;
        });
        await options.onToken?.(step, picked);
        ids = i32([batch, 1], picked);
        positions = i32([batch, 1], nextPosition.map((p, b) => (nextPosition[b] = p + 1) - 1));
        mask = appendOnes(mask);
        if (eos.length && finished.every(Boolean)) {
          stopReason = 'eos';
          break;
        }
      }
    } finally {
      caches.dispose();
      call.lease.end();
    }
    if (running) this.latestScalings = { dtype: 'f32', shape: running.shape, data: running.data };
    return { tokens, stepLogits: options.returnStepLogits ? stepLogits : undefined, stopReason, notes };
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
    const call: Call = { knobs: { ...input.knobs }, lease: this.compiled.lease() };
    try {
      const out = await this.step(call, input.mode, 'last', input.caches, input.inputIds, input.attentionMask, input.positionIds, [],
        frozen ? { scalings: input.scalings! } : {});
      const result: BatchStepOutput = { logits: (await this.backend.read(out.logits)) as HostTensor<'f32'> };
      if (!frozen) result.scalings = (await this.backend.read(out.scalings)) as HostTensor<'f32'>;
      this.releaseAll(out);
      return result;
    } finally {
      call.lease.end();
    }
  }

  /**
   * The step graph of `mode` and the weights it needs, for exporting (e.g. to ONNX) or compiling elsewhere.
   * Inputs: input_ids, position_ids, attention_mask [B, past+seq] and the past KV caches of each pass.
   */
  stepGraph(mode: StepMode = 'xlora', logits: 'all' | 'last' = 'last', knobs: Knobs = this.knobState) {
    const { graph, constants, passes } = buildStepGraph({
      config: this.config, wrapped: this.stacked, knobs: this.mixtureKnobs(mode, knobs), routing: this.routing(mode, knobs), logits,
    });
    const weights: WeightMap = constants.size ? new Map([...this.weights, ...constants]) : this.weights;
    return { graph, weights, passes };
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
    this.compiled.clear();
  }

  private setKnobs(change: Partial<Knobs>): void {
    this.knobState = { ...this.knobState, ...change };
    this.compiled.clear(); // graphs of the old knobs: idle ones now, those in use when their calls end
  }

  private async step(call: Call, mode: StepMode, logits: 'all' | 'last', caches: StepCaches, ids: HostTensor, mask: HostTensor,
    positions: HostTensor, extra: string[], extraFeeds: Record<string, HostTensor> = {}): Promise<Record<string, DeviceTensor>> {
    const window = this.config.slidingWindow;
    if (window !== null && mask.shape[1] > window) {
      throw new InputError(`the sequence reaches ${mask.shape[1]} tokens, beyond the model's sliding_window ${window} (config.json); sliding-window attention is not implemented, so longer sequences would not match transformers`);
    }
    const exe = await this.executable(call, mode, logits);
    const passes = this.passesFor(mode);
    const wanted = ['logits', ...(mode === 'xlora' ? ['scalings'] : []), ...extra, ...caches.presentNames(passes)];
    // attention_mask spans past + new tokens
    const feeds = { input_ids: ids, position_ids: positions, attention_mask: mask, ...caches.feeds(passes), ...extraFeeds };
    const out = await this.backend.run(exe, feeds, { outputs: wanted });
    caches.advance(out, passes);
    return out;
  }

  /** [B,S|1,Lc,C] compact scalings → [B,S,L,C] (frozen steps reuse one row for every new token). */
  private expandToSequence(compact: HostTensor<'f32'>, seq: number): ScalingsTensor {
    let t: ScalingsTensor = compact;
    if (compact.shape[1] !== seq) {
      const [b, , lc, c] = compact.shape;
      const data = new Float32Array(b * seq * lc * c);
      for (let i = 0; i < b; i++) for (let s = 0; s < seq; s++) data.set(compact.data.subarray(i * lc * c, (i + 1) * lc * c), (i * seq + s) * lc * c);
      t = { shape: [b, seq, lc, c], data };
    }
    return expandLayers(t, this.numLayers);
  }

  /** The step graph of `mode` with the call's knobs, compiled once and held by the call until it ends. */
  private executable(call: Call, mode: StepMode, logits: 'all' | 'last') {
    const k = call.knobs;
    const modeKey = typeof mode === 'string' ? mode : `expert${mode.expert}`;
    const key = `${modeKey}|${logits}|topk=${k.topK}|smtopk=${k.softmaxTopK}|g=${k.globalWeight}|spv=${k.scalingPassValue}`;
    return call.lease.get(key, () => this.stepGraph(mode, logits, k));
  }

  private mixtureKnobs(mode: StepMode, k: Knobs): MixtureKnobs {
    if (mode === 'frozen') return { topK: null, softmaxTopK: false, globalWeight: k.globalWeight, numExperts: this.numExperts };
    if (mode === 'xlora') return { topK: k.topK, softmaxTopK: k.softmaxTopK, globalWeight: k.globalWeight, numExperts: this.numExperts };
    return { topK: null, softmaxTopK: false, globalWeight: 1, numExperts: this.numExperts };
  }

  private routing(mode: StepMode, k: Knobs): Routing {
    if (mode === 'frozen') return { kind: 'given', scalingLayers: this.layout.scalingLayers };
    if (mode === 'xlora') {
      const xc = this.parts.xloraConfig;
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

  private passesFor(mode: StepMode): string[] {
    return stepPasses(mode === 'xlora');
  }

  private async readScalings(t: DeviceTensor): Promise<HostTensor<'f32'>> {
    const host = (await this.backend.read(t)) as HostTensor<'f32'>;
    const full = expandLayers(host as ScalingsTensor, this.numLayers);
    return { dtype: 'f32', shape: full.shape, data: full.data };
  }

  private releaseAll(out: Record<string, DeviceTensor>): void {
    for (const [name, t] of Object.entries(out)) if (!name.includes('.present.')) this.backend.release(t);
  }
}

/** Step graphs: the user-facing modes plus X-LoRA with frozen scalings. */
type StepMode = ModelMode | 'frozen';

/** One forward or generate call: the knobs it started with and the compiled graphs it holds until it ends. */
interface Call {
  knobs: Knobs;
  lease: ExecutableLease;
}


import { InputError, i32, type Backend, type DeviceTensor, type Executable, type HostTensor, type WeightMap } from '@xlora/core';
import { classifierLayout, CLASSIFIER_PREFIX, validateClassifierWeights, type ClassifierLayout } from '@xlora/classifier';
import { effectiveScalings, embeddingMixtureWeights, embeddingWeightNames, planWrappedModules, stackedWeightNames, stackExperts, type MixtureKnobs, type StackedModule, type WrappedModule } from '@xlora/lora-layers';
import { concatAlongSequence, expandLayers, ScalingsLogger, type ScalingsTensor } from '@xlora/scaling-logger';
import { EMBEDDING_MODULE, linearModulesInOrder, linearShape } from '../llama/architecture.js';
import { arangePositions, inferAttentionMask, onesMask, positionsFromMask } from '../generation/positions.js';
import { TokenSampler, type SamplingOptions } from '../generation/sampler.js';
import { appendOnes, lastPosition } from '../generation/sequence-tensors.js';
import { KvCaches } from './kv-caches.js';
import type { XLoraModelParts } from './model-parts.js';
import { buildStepGraph, stepPasses, type Routing } from './step-graph.js';

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
  signal?: AbortSignal;
}

export interface GenerateResult {
  /** [B, P+N] prompt and generated ids, like HF generate */
  tokens: number[][];
  /** per step, [B,V] raw logits of the last position */
  stepLogits?: HostTensor<'f32'>[];
  /** why generation ended */
  stopReason: 'max-new-tokens' | 'eos' | 'aborted';
}

/** Checks an i32 [batch, seq] input (ids, mask, positions); batch and seq, when given, must match input_ids. */
function checkIdTensor(t: HostTensor | undefined, name: string, batch?: number, seq?: number): void {
  if (!t) return;
  if (t.dtype !== 'i32' || t.shape.length !== 2) throw new InputError(`${name} must be an i32 tensor [batch, seq], got ${t.dtype} [${t.shape}]`);
  if (batch !== undefined && (t.shape[0] !== batch || t.shape[1] !== seq)) {
    throw new InputError(`${name} has shape [${t.shape}], expected [${batch}, ${seq}] like input_ids`);
  }
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
  private readonly weights: Map<string, HostTensor>;
  private readonly stacked: Map<string, { stacked: StackedModule; layer: number }>;
  private readonly executables = new Map<string, Executable>();
  private readonly maxCompiledGraphs: number;
  private topK: number | null;
  private softmaxTopK: boolean;
  private globalWeight: number;
  private scalingPassValue: number;
  private latestScalings: HostTensor<'f32'> | null = null;

  /**
   * @param options.maxCompiledGraphs how many step graphs (mode × all/last logits) stay compiled; the least recently
   *   used is disposed beyond that (default 4: a generate with frozen scalings uses 2, a forward 1)
   */
  constructor(readonly parts: XLoraModelParts, readonly backend: Backend, options: { maxCompiledGraphs?: number } = {}) {
    this.maxCompiledGraphs = options.maxCompiledGraphs ?? 4;
    if (!(Number.isInteger(this.maxCompiledGraphs) && this.maxCompiledGraphs >= 2)) {
      throw new InputError(`maxCompiledGraphs must be an integer >= 2, got ${options.maxCompiledGraphs}`);
    }
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
      this.weights.set(names.b, stacked.b);
      if (m.modulePath === EMBEDDING_MODULE) {
        const extra = embeddingMixtureWeights(stacked);
        const embNames = embeddingWeightNames(m.modulePath);
        this.weights.set(embNames.aT, extra.aT);
        this.weights.set(embNames.identity, extra.identity);
      } else {
        this.weights.set(names.a, stacked.a);
      }
      this.stacked.set(m.modulePath, { stacked, layer: m.layer });
    }
    this.topK = xc.topKLora;
    this.softmaxTopK = xc.enableSoftmaxTopk;
    this.globalWeight = xc.globalScalingWeight;
    this.scalingPassValue = xc.scalingPassValue ?? 1 / this.numExperts;
  }

  /** L: number of LoRA-wrapped modules (X-LoRA layers) */
  get numLayers(): number {
    return this.wrappedModules.length;
  }

  get config() {
    return this.parts.baseConfig;
  }

  // ---- runtime knobs (PEFT: set_topk_lora, set_global_scaling_weight, set_scaling_pass_value) ----
  setTopKLora(k: number | null): void {
    if (k !== null && !(Number.isInteger(k) && k >= 1)) throw new InputError(`setTopKLora: k must be null or an integer >= 1, got ${k}`);
    this.topK = k;
    this.invalidate();
  }
  getTopKLora(): number | null {
    return this.topK;
  }
  setSoftmaxTopK(on: boolean): void {
    this.softmaxTopK = on;
    this.invalidate();
  }
  setGlobalScalingWeight(w: number): void {
    if (!Number.isFinite(w)) throw new InputError(`setGlobalScalingWeight: weight must be a finite number, got ${w}`);
    this.globalWeight = w;
    this.invalidate();
  }
  getGlobalScalingWeight(): number {
    return this.globalWeight;
  }
  /** null means 1/n, as in PEFT */
  setScalingPassValue(v: number | null): void {
    if (v !== null && !Number.isFinite(v)) throw new InputError(`setScalingPassValue: value must be a finite number or null, got ${v}`);
    this.scalingPassValue = v ?? 1 / this.numExperts;
    this.invalidate();
  }
  getScalingPassValue(): number {
    return this.scalingPassValue;
  }
  /** [B,S,L,C] scalings of the last call (the whole sequence after generate), like get_latest_scalings() */
  getLatestScalings(): HostTensor<'f32'> | null {
    return this.latestScalings;
  }

  /** One full forward pass (no cache), like calling the PEFT model. */
  async forward(inputIds: HostTensor, options: ForwardOptions = {}): Promise<ForwardResult> {
    checkIdTensor(inputIds, 'input_ids');
    const [batch, seq] = inputIds.shape;
    checkIdTensor(options.attentionMask, 'attention_mask', batch, seq);
    checkIdTensor(options.positionIds, 'position_ids', batch, seq);
    const mode = options.mode ?? 'xlora';
    const caches = new KvCaches(this.backend, this.config, this.passesFor(mode), batch);
    try {
      const out = await this.step(mode, 'all', caches, inputIds, options.attentionMask ?? onesMask(batch, seq),
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
    }
  }

  /** Greedy or sampled generation with two KV caches (scaling pass, real pass); equals PEFT's full recompute. */
  async generate(inputIds: HostTensor, options: GenerateOptions): Promise<GenerateResult> {
    checkIdTensor(inputIds, 'input_ids');
    const [batch, promptLen] = inputIds.shape;
    checkIdTensor(options.attentionMask, 'attention_mask', batch, promptLen);
    if (!(Number.isInteger(options.maxNewTokens) && options.maxNewTokens >= 0)) {
      throw new InputError(`maxNewTokens must be an integer >= 0, got ${options.maxNewTokens}`);
    }
    const mode = options.mode ?? 'xlora';
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
    const caches = new KvCaches(this.backend, this.config, this.passesFor(mode), batch);
    let frozen: HostTensor<'f32'> | null = null; // [B,1,Lc,C] effective scalings fed to the frozen graph
    let frozenRaw: HostTensor<'f32'> | null = null; // the same rows before top-k, for the log
    let ids: HostTensor = inputIds;
    let positions: HostTensor = positionsFromMask(mask);
    let running: ScalingsTensor | null = null;
    let stopReason: GenerateResult['stopReason'] = 'max-new-tokens';
    try {
      for (let step = 0; step < options.maxNewTokens; step++) {
        if (options.signal?.aborted) {
          stopReason = 'aborted';
          break;
        }
        const out = frozen
          ? await this.step('frozen', 'last', caches, ids, mask, positions, [], { scalings: frozen })
          : await this.step(mode, 'last', caches, ids, mask, positions, []);
        const logits = (await this.backend.read(out.logits)) as HostTensor<'f32'>; // [B,1,V]
        if (mode === 'xlora') {
          const compact = frozenRaw ?? (await this.backend.read(out.scalings)) as HostTensor<'f32'>; // [B,S|1,Lc,C], pre-top-k
          const fresh = this.expandToSequence(compact, ids.shape[1]);
          running = running ? concatAlongSequence(running, fresh) : fresh;
          this.logger.record(running);
          if (!frozen && freezeAt !== undefined && step + 1 >= freezeAt) {
            // frozen rows are stored as each layer uses them (after top-k / softmax-top-k), so the frozen graph skips that work
            frozen = effectiveScalings(lastPosition(compact), this.topK, this.softmaxTopK);
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
    }
    if (running) this.latestScalings = { dtype: 'f32', shape: running.shape, data: running.data };
    return { tokens, stepLogits: options.returnStepLogits ? stepLogits : undefined, stopReason };
  }

  /**
   * The step graph of `mode` and the weights it needs, for exporting (e.g. to ONNX) or compiling elsewhere.
   * Inputs: input_ids, position_ids, attention_mask [B, past+seq] and the past KV caches of each pass.
   */
  stepGraph(mode: StepMode = 'xlora', logits: 'all' | 'last' = 'last') {
    const { graph, constants, passes } = buildStepGraph({
      config: this.config, wrapped: this.stacked, knobs: this.knobs(mode), routing: this.routing(mode), logits,
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
    const add = (t: HostTensor) => buffers.add(t.data.buffer);
    for (const t of this.weights.values()) add(t);
    for (const e of this.parts.experts) {
      for (const m of e.modules.values()) { add(m.a); add(m.b); }
      for (const m of e.embeddings?.values() ?? []) { add(m.a); add(m.b); }
    }
    let bytes = 0;
    for (const b of buffers) bytes += b.byteLength;
    return bytes;
  }

  /** Frees compiled graphs (weights stay in host memory; the backend is the caller's). */
  dispose(): void {
    this.invalidate();
  }

  private async step(mode: StepMode, logits: 'all' | 'last', caches: KvCaches, ids: HostTensor, mask: HostTensor,
    positions: HostTensor, extra: string[], extraFeeds: Record<string, HostTensor> = {}): Promise<Record<string, DeviceTensor>> {
    const window = this.config.slidingWindow;
    if (window !== null && mask.shape[1] > window) {
      throw new InputError(`the sequence reaches ${mask.shape[1]} tokens, beyond the model's sliding_window ${window} (config.json); sliding-window attention is not implemented, so longer sequences would not match transformers`);
    }
    const exe = await this.executable(mode, logits);
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

  private async executable(mode: StepMode, logits: 'all' | 'last'): Promise<Executable> {
    const key = `${typeof mode === 'string' ? mode : `expert${mode.expert}`}|${logits}`; // e.g. 'xlora|last'
    const known = this.executables.get(key);
    if (known) {
      this.executables.delete(key); // re-insert: the map's order is least recently used first
      this.executables.set(key, known);
      return known;
    }
    const { graph, weights } = this.stepGraph(mode, logits);
    const exe = await this.backend.compile(graph, weights);
    this.executables.set(key, exe);
    // bound what compiled graphs hold (ONNX Runtime keeps a copy of the weights per session)
    for (const [oldKey, old] of this.executables) {
      if (this.executables.size <= this.maxCompiledGraphs) break;
      old.dispose();
      this.executables.delete(oldKey);
    }
    return exe;
  }

  private knobs(mode: StepMode): MixtureKnobs {
    if (mode === 'frozen') return { topK: null, softmaxTopK: false, globalWeight: this.globalWeight, numExperts: this.numExperts };
    if (mode === 'xlora') return { topK: this.topK, softmaxTopK: this.softmaxTopK, globalWeight: this.globalWeight, numExperts: this.numExperts };
    return { topK: null, softmaxTopK: false, globalWeight: 1, numExperts: this.numExperts };
  }

  private routing(mode: StepMode): Routing {
    if (mode === 'frozen') return { kind: 'given', scalingLayers: this.layout.scalingLayers };
    if (mode === 'xlora') {
      const xc = this.parts.xloraConfig;
      return { kind: 'xlora', classifier: this.layout, enableSoftmax: xc.enableSoftmax, softmaxTemperature: xc.softmaxTemperature, scalingPassValue: this.scalingPassValue };
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

  private invalidate(): void {
    for (const exe of this.executables.values()) exe.dispose();
    this.executables.clear();
  }
}

/** Step graphs: the user-facing modes plus X-LoRA with frozen scalings. */
type StepMode = ModelMode | 'frozen';


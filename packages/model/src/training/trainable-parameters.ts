import { f32, InputError, type HostTensor } from '@xlora/core';
import { loraScaling } from '@xlora/config';
import { CLASSIFIER_PREFIX } from '@xlora/classifier';
import { expertModule, stackedWeightNames, type ExpertWeights, type StackedModule } from '@xlora/lora-layers';
import { EMBEDDING_MODULE } from '../architectures/index.js';
import type { ParameterMap } from './parameters.js';

/** PEFT's key prefix of the classifier tensors (adapter_model.safetensors and parameter names alike). */
export const PEFT_CLASSIFIER_PREFIX = 'base_model.internal_xlora_classifier.';

/** PEFT's parameter name of one expert's LoRA matrix inside an XLoraModel (the fixtures' `trainable_params`). */
export function peftLoraParameterName(modulePath: string, which: 'A' | 'B', expert: number): string {
  return `base_model.lora_model.model.${modulePath}.lora_${which}.${expert}.weight`;
}

/** One expert's slice of a stacked module: rows [offset, offset+rank) of Â, the same columns of B̂ (times scale). */
interface LoraSlot {
  modulePath: string;
  expert: number;
  offset: number;
  rank: number;
  scale: number;
  aName: string;
  bName: string;
}

/**
 * The trainable set of an X-LoRA model and its mapping onto graph inputs. Parameters are keyed by PEFT's names
 * (classifier: `base_model.internal_xlora_classifier.layers.<i>.{weight,bias}`; experts, with trainable adapters:
 * `base_model.lora_model.model.<module>.lora_{A,B}.<class>.weight`). The graph sees the classifier tensors as they
 * are and each module's experts stacked (Â, B̂ with the LoRA scales folded in), rebuilt from the parameters on
 * every feed; gradients of Â/B̂ are split back per expert (dB = scale · dB̂ columns).
 */
export class TrainableParameters {
  readonly params: ParameterMap = new Map();
  private readonly classifierInputs = new Map<string, string>(); // graph input -> parameter name
  private readonly slots: LoraSlot[] = [];
  private readonly stacks = new Map<string, StackedModule>();

  constructor(
    classifier: ReadonlyMap<string, HostTensor>, experts: readonly ExpertWeights[],
    stacked: ReadonlyMap<string, { stacked: StackedModule }>, trainAdapters: boolean,
  ) {
    for (const [key, t] of classifier) {
      const name = PEFT_CLASSIFIER_PREFIX + key;
      this.params.set(name, f32(t.shape, Float32Array.from(t.data as Float32Array)));
      this.classifierInputs.set(CLASSIFIER_PREFIX + key, name);
    }
    if (!trainAdapters) return;
    for (const [modulePath, { stacked: s }] of stacked) {
      if (s.segments.length === 0) continue;
      if (modulePath === EMBEDDING_MODULE) {
        throw new InputError(`training the experts' LoRA weights of the embedding ("${modulePath}") is not supported yet; train the classifier only`);
      }
      this.stacks.set(modulePath, s);
      for (const seg of s.segments) {
        const e = experts[seg.expert];
        const m = expertModule(e, modulePath);
        const aName = peftLoraParameterName(modulePath, 'A', seg.expert);
        const bName = peftLoraParameterName(modulePath, 'B', seg.expert);
        // a targeted module without weights in the file keeps PEFT's zero-B initialisation (planWrappedModules)
        const [din, dout] = [s.a.shape[1], s.b.shape[0]];
        this.params.set(aName, m ? f32(m.a.shape, Float32Array.from(m.a.data as Float32Array)) : f32([seg.rank, din]));
        this.params.set(bName, m ? f32(m.b.shape, Float32Array.from(m.b.data as Float32Array)) : f32([dout, seg.rank]));
        this.slots.push({ modulePath, expert: seg.expert, offset: seg.offset, rank: seg.rank, scale: loraScaling(e.config, modulePath, seg.rank), aName, bName });
      }
    }
  }

  /** Graph inputs that carry trainable values (classifier tensors, stacked Â/B̂ of modules with trainable experts). */
  graphInputs(): string[] {
    const names = [...this.classifierInputs.keys()];
    for (const path of this.stacks.keys()) {
      const n = stackedWeightNames(path);
      names.push(n.a, n.b);
    }
    return names;
  }

  /** The graph feeds for the current parameter values. */
  feeds(): Record<string, HostTensor> {
    const out: Record<string, HostTensor> = {};
    for (const [input, name] of this.classifierInputs) out[input] = this.params.get(name)!;
    for (const [path, s] of this.stacks) {
      const n = stackedWeightNames(path);
      out[n.a] = f32(s.a.shape);
      out[n.b] = f32(s.b.shape);
    }
    for (const slot of this.slots) {
      const n = stackedWeightNames(slot.modulePath);
      const a = out[n.a] as HostTensor<'f32'>, b = out[n.b] as HostTensor<'f32'>;
      const [din] = [a.shape[1]];
      const total = b.shape[1];
      a.data.set(this.params.get(slot.aName)!.data, slot.offset * din);
      const bp = this.params.get(slot.bName)!.data;
      for (let j = 0; j < b.shape[0]; j++) {
        for (let r = 0; r < slot.rank; r++) b.data[j * total + slot.offset + r] = bp[j * slot.rank + r] * slot.scale;
      }
    }
    return out;
  }

  /** Parameter gradients from the graph's gradients of its inputs. */
  gradients(graphGrads: ReadonlyMap<string, HostTensor>): ParameterMap {
    const out: ParameterMap = new Map();
    for (const [input, name] of this.classifierInputs) out.set(name, graphGrads.get(input) as HostTensor<'f32'>);
    for (const slot of this.slots) {
      const n = stackedWeightNames(slot.modulePath);
      const da = graphGrads.get(n.a)!, db = graphGrads.get(n.b)!;
      const din = da.shape[1], total = db.shape[1], dout = db.shape[0];
      out.set(slot.aName, f32([slot.rank, din], (da.data as Float32Array).slice(slot.offset * din, (slot.offset + slot.rank) * din)));
      const g = f32([dout, slot.rank]);
      for (let j = 0; j < dout; j++) for (let r = 0; r < slot.rank; r++) g.data[j * slot.rank + r] = db.data[j * total + slot.offset + r] * slot.scale;
      out.set(slot.bName, g);
    }
    return out;
  }

  /** The trained experts' weights per class, keyed as a PEFT LoRA adapter file (`base_model.model.<module>.lora_A.weight`). */
  expertTensors(): Map<number, Record<string, HostTensor>> {
    const out = new Map<number, Record<string, HostTensor>>();
    for (const slot of this.slots) {
      const files = out.get(slot.expert) ?? {};
      files[`base_model.model.${slot.modulePath}.lora_A.weight`] = this.params.get(slot.aName)!;
      files[`base_model.model.${slot.modulePath}.lora_B.weight`] = this.params.get(slot.bName)!;
      out.set(slot.expert, files);
    }
    return out;
  }

  /** The classifier tensors keyed as in adapter_model.safetensors. */
  classifierTensors(): Record<string, HostTensor> {
    const out: Record<string, HostTensor> = {};
    for (const name of this.classifierInputs.values()) out[name] = this.params.get(name)!;
    return out;
  }
}

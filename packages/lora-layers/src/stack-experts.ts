import { f32, InputError, type HostTensor, type MixtureSegment } from '@xlora/core';
import { loraScaling } from '@xlora/config';
import { expertModule, type ExpertWeights } from './expert-weights.js';

/** The experts of one module stacked in rank space: Â = [A_1; …; A_n], B̂ = [c_1 B_1 … c_n B_n]. */
export interface StackedModule {
  modulePath: string;
  /** Â [R, in] */
  a: HostTensor<'f32'>;
  /** B̂ [out, R], expert scales c_i folded in */
  b: HostTensor<'f32'>;
  segments: MixtureSegment[];
}

/**
 * Stacks every expert that has weights for `modulePath`. `inFeatures`/`outFeatures` are the base layer's,
 * used to check the expert's shapes.
 */
export function stackExperts(
  modulePath: string, experts: readonly ExpertWeights[], inFeatures: number, outFeatures: number,
): StackedModule {
  const present: { expert: number; a: HostTensor; b: HostTensor; scale: number }[] = [];
  experts.forEach((e, expert) => {
    const m = expertModule(e, modulePath);
    if (!m) return;
    const [rank, din] = m.a.shape;
    const [dout, rankB] = m.b.shape;
    const where = `${e.dir}/adapter_model.safetensors (expert ${expert} "${e.name}", module ${modulePath})`;
    if (din !== inFeatures) throw new InputError(`${where}: lora_A is [${m.a.shape}], expected [r, ${inFeatures}] for the base layer`);
    if (dout !== outFeatures) throw new InputError(`${where}: lora_B is [${m.b.shape}], expected [${outFeatures}, r] for the base layer`);
    if (rankB !== rank) throw new InputError(`${where}: lora_A rank ${rank} and lora_B rank ${rankB} differ`);
    if (m.bias) throw new InputError(`${where}: lora_B has a bias (lora_bias=true), which is not supported`);
    present.push({ expert, a: m.a, b: m.b, scale: loraScaling(e.config, modulePath, rank) });
  });
  const total = present.reduce((n, p) => n + p.a.shape[0], 0);
  const a = f32([total, inFeatures]);
  const b = f32([outFeatures, total]);
  const segments: MixtureSegment[] = [];
  let offset = 0;
  for (const p of present) {
    const rank = p.a.shape[0];
    a.data.set(p.a.data as Float32Array, offset * inFeatures);
    for (let j = 0; j < outFeatures; j++) {
      for (let r = 0; r < rank; r++) b.data[j * total + offset + r] = p.b.data[j * rank + r] * p.scale;
    }
    segments.push({ expert: p.expert, offset, rank });
    offset += rank;
  }
  return { modulePath, a, b, segments };
}

import { InputError } from '@xlora/core';
import type { Optimizer } from './optimizer.js';
import { gradientOf } from './optimizer.js';
import type { ParameterMap } from './parameters.js';

export interface AdamWOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** torch.optim.AdamW's defaults (lr is given per step). */
export const ADAMW_DEFAULTS: AdamWOptions = { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 };

interface Moments {
  m: Float32Array;
  v: Float32Array;
}

/**
 * torch.optim.AdamW (torch 1.13, amsgrad off, single-tensor path) with its f32 arithmetic, per element at step t:
 *   p ← p·(1 − lr·wd)                       decoupled weight decay, before the Adam update, not added to g
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)      eps outside the sqrt
 * State (m, v, t) is per optimizer, keyed by parameter name; `state()` / `loadState()` serialize it for resuming.
 */
export class AdamW implements Optimizer {
  readonly name = 'adamw';
  private readonly moments = new Map<string, Moments>();
  private t = 0;

  constructor(readonly options: AdamWOptions = ADAMW_DEFAULTS) {
    const [b1, b2] = options.betas;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new InputError(`AdamW: betas must be in [0, 1), got ${b1}, ${b2}`);
    if (!(options.eps >= 0)) throw new InputError(`AdamW: eps must be >= 0, got ${options.eps}`);
    if (!(options.weightDecay >= 0)) throw new InputError(`AdamW: weight decay must be >= 0, got ${options.weightDecay}`);
  }

  get steps(): number {
    return this.t;
  }

  step(params: ParameterMap, grads: ParameterMap, lr: number): void {
    const [b1, b2] = this.options.betas;
    const { eps, weightDecay } = this.options;
    this.t++;
    const f = Math.fround;
    const decay = f(1 - lr * weightDecay);
    const stepSize = lr / (1 - Math.pow(b1, this.t));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, this.t));
    for (const [name, p] of params) {
      const g = gradientOf(grads, name, p.data.length);
      let st = this.moments.get(name);
      if (!st) {
        st = { m: new Float32Array(p.data.length), v: new Float32Array(p.data.length) };
        this.moments.set(name, st);
      }
      const { m, v } = st;
      const d = p.data;
      for (let i = 0; i < d.length; i++) {
        d[i] = d[i] * decay;
        m[i] = f(m[i] * b1) + f((1 - b1) * g[i]);
        v[i] = f(v[i] * b2) + f(f((1 - b2) * g[i]) * g[i]);
        const denom = f(f(Math.sqrt(v[i]) / bc2Sqrt) + eps);
        d[i] = d[i] - f(stepSize * f(m[i] / denom));
      }
    }
  }

  state(): { step: number; moments: Map<string, Moments> } {
    return { step: this.t, moments: this.moments };
  }

  loadState(step: number, moments: ReadonlyMap<string, Moments>): void {
    this.t = step;
    this.moments.clear();
    for (const [k, s] of moments) this.moments.set(k, { m: Float32Array.from(s.m), v: Float32Array.from(s.v) });
  }
}

import type { Optimizer } from './optimizer.js';
import { gradientOf } from './optimizer.js';
import type { ParameterMap } from './parameters.js';

/** torch.optim.SGD without momentum or weight decay: p ← p − lr·g (f32, as torch). */
export class Sgd implements Optimizer {
  readonly name = 'sgd';
  step(params: ParameterMap, grads: ParameterMap, lr: number): void {
    for (const [name, p] of params) {
      const g = gradientOf(grads, name, p.data.length);
      const d = p.data;
      for (let i = 0; i < d.length; i++) d[i] = d[i] - Math.fround(lr * g[i]);
    }
  }
}

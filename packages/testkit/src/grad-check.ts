import { buildGradientGraph, f32, trainingOpsOf, type HostTensor, type TrainingBackend } from '@xlora/core';
import type { GradCase } from './grad-cases.js';
import { randomF32, rng } from './random.js';

export interface GradCheckOptions {
  /** central-difference step */
  step: number;
  /** |numeric − analytic| ≤ atol + rtol·|analytic| */
  atol: number;
  rtol: number;
  /** entries checked per differentiated tensor (all when it has fewer) */
  entriesPerTensor: number;
}

export const GRAD_CHECK_DEFAULTS: GradCheckOptions = { step: 1e-2, atol: 2e-3, rtol: 2e-3, entriesPerTensor: 8 };

/**
 * Finite-difference check of one case: the gradient graph's result for a random projection r of the outputs
 * (f = Σ r·y) against central differences (f(x+h) − f(x−h)) / 2h, the sums taken in f64 from the backend's own
 * forward runs. Points where the function is visibly not smooth inside ±h (a ReLU or top-k boundary: the central
 * difference with step h/2 differs from the one with h by more than the tolerance) are skipped; at least half of the
 * points must remain.
 * Returns failure messages (empty = pass).
 */
export async function checkGradCase(backend: TrainingBackend, c: GradCase, opts: GradCheckOptions = GRAD_CHECK_DEFAULTS): Promise<string[]> {
  const rand = rng(7);
  const projections = new Map<string, HostTensor<'f32'>>();
  const forward = await backend.compile(c.graph, c.weights);
  const run = async (feeds: Record<string, HostTensor>) => {
    const outs = await backend.run(forward, feeds, { outputs: c.of });
    const result = new Map<string, HostTensor>();
    for (const name of c.of) result.set(name, await backend.read(outs[name]));
    return result;
  };
  const base = await run(c.feeds);
  for (const name of c.of) projections.set(name, randomF32(rand, base.get(name)!.shape));
  const objective = async (feeds: Record<string, HostTensor>) => {
    const outs = await run(feeds);
    let f = 0;
    for (const name of c.of) {
      const y = outs.get(name)!.data, r = projections.get(name)!.data;
      for (let i = 0; i < y.length; i++) f += r[i] * y[i];
    }
    return f;
  };

  const grad = buildGradientGraph(c.graph, { of: c.of, wrt: c.wrt });
  if (trainingOpsOf(grad.graph).length === 0 && c.wrt.length > 0) return [`${c.name}: the gradient graph has no backward nodes`];
  const gradExe = await backend.compile(grad.graph, c.weights);
  const gradFeeds: Record<string, HostTensor> = { ...c.feeds };
  for (const [of, seed] of grad.seeds) gradFeeds[seed] = projections.get(of)!;
  const gradOuts = await backend.run(gradExe, gradFeeds, { outputs: [...grad.grads.values()] });

  const failures: string[] = [];
  for (const wrt of c.wrt) {
    const analytic = await backend.read(gradOuts[grad.grads.get(wrt)!]);
    const x = c.feeds[wrt] as HostTensor<'f32'>;
    const n = x.data.length;
    // half the points where the analytic gradient is largest (a wrong factor shows there), half at random
    const largest = [...Array(n).keys()].sort((a, b) => Math.abs(analytic.data[b]) - Math.abs(analytic.data[a]));
    const picks = n <= opts.entriesPerTensor ? largest : [
      ...largest.slice(0, opts.entriesPerTensor / 2),
      ...Array.from({ length: opts.entriesPerTensor / 2 }, () => Math.floor(rand() * n)),
    ];
    let checked = 0;
    for (const i of picks) {
      const at = (delta: number) => {
        const moved = f32(x.shape, Float32Array.from(x.data));
        moved.data[i] += delta;
        return objective({ ...c.feeds, [wrt]: moved });
      };
      const central = async (h: number) => ((await at(h)) - (await at(-h))) / (2 * h);
      const numeric = await central(opts.step);
      const want = analytic.data[i];
      const tol = opts.atol + opts.rtol * Math.abs(want);
      // not smooth inside ±h (a ReLU or top-k boundary): halving the step changes the slope beyond the tolerance
      if (Math.abs((await central(opts.step / 2)) - numeric) > tol) continue;
      checked++;
      if (!(Math.abs(numeric - want) <= tol)) {
        failures.push(`${c.name}: d/d ${wrt}[${i}] analytic ${want}, finite difference ${numeric}`);
      }
    }
    if (checked * 2 < picks.length) failures.push(`${c.name}: only ${checked} of ${picks.length} points of ${wrt} were smooth enough to check`);
  }
  forward.dispose();
  gradExe.dispose();
  return failures;
}

import { BackendError, numel } from '@xlora/core';
import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from '../common.js';
import type { Tunables } from '../../flags.js';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/**
 * RmsNorm backward, y = w ⊙ x·inv with inv = (mean(x²) + eps)^-½ (two dispatches):
 *   rows:    one thread per row: inv[r], dx = inv·(w⊙dy) − inv³ · x · Σ(w⊙dy⊙x) / H
 *   columns: one thread per i < H: dw[i] = Σ_rows dy ⊙ x·inv (rows in order)
 */
const FIELDS: readonly Field[] = [['rows', 'u32'], ['h', 'u32'], ['eps', 'f32']];

function rmsNormGradRowsKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`rms-norm-grad-rows|${wg}`, () => ({
    name: 'rms-norm-grad-rows',
    storage: ['read', 'read', 'read', 'write', 'write'],
    code: `${paramsStruct(FIELDS)}${storage(1, 'x', 'read', 'f32')}${storage(2, 'w', 'read', 'f32')}${storage(3, 'dy', 'read', 'f32')}${storage(4, 'dx', 'write', 'f32')}${storage(5, 'inv', 'write', 'f32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let r = wg * ${wg}u + li;
  if (r >= p.rows) { return; }
  let o = r * p.h;
  var ss = 0.0;
  for (var i = 0u; i < p.h; i++) { ss += x[o + i] * x[o + i]; }
  let iv = 1.0 / sqrt(ss / f32(p.h) + p.eps);
  inv[r] = iv;
  var dot = 0.0;
  for (var i = 0u; i < p.h; i++) { dot += w[i] * dy[o + i] * x[o + i]; }
  let k = iv * iv * iv * dot / f32(p.h);
  for (var i = 0u; i < p.h; i++) { dx[o + i] = iv * w[i] * dy[o + i] - k * x[o + i]; }
}
`,
  }));
}

function rmsNormGradColumnsKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`rms-norm-grad-columns|${wg}`, () => ({
    name: 'rms-norm-grad-columns',
    storage: ['read', 'read', 'read', 'write'],
    code: `${paramsStruct(FIELDS)}${storage(1, 'x', 'read', 'f32')}${storage(2, 'dy', 'read', 'f32')}${storage(3, 'inv', 'read', 'f32')}${storage(4, 'dw', 'write', 'f32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.h) { return; }
  var acc = 0.0;
  for (var r = 0u; r < p.rows; r++) { acc += dy[r * p.h + i] * x[r * p.h + i] * inv[r]; }
  dw[i] = acc;
}
`,
  }));
}

export const rmsNormGradOp: WebGpuTrainingOp<'RmsNormGrad'> = {
  kernels: (_n, { tun }) => [rmsNormGradRowsKernel(tun), rmsNormGradColumnsKernel(tun)],
  lower(node, ctx, shapes) {
    const [x, w, dy] = node.inputs.map((n) => ctx.dense(n));
    const h = numel(w.shape);
    if (x.shape[x.shape.length - 1] !== h || numel(dy.shape) !== numel(x.shape)) {
      throw new BackendError(`RmsNormGrad "${node.name}": x [...,H], w [H], dy like x expected, got [${x.shape.join(', ')}], [${w.shape.join(', ')}], [${dy.shape.join(', ')}]`);
    }
    const dx = ctx.output(node, 0, shapes[0]);
    const dw = ctx.output(node, 1, shapes[1]);
    const rows = h ? numel(x.shape) / h : 0;
    if (!h) return;
    const inv = ctx.slot('plan', rows * 4, `${node.name} inv rms`);
    const params = [rows, h, node.attrs.eps];
    if (rows) ctx.step(rmsNormGradRowsKernel(ctx.tun), [x.slot, w.slot, dy.slot, dx.slot, inv], FIELDS, params, ctx.flat(rows));
    ctx.step(rmsNormGradColumnsKernel(ctx.tun), [x.slot, dy.slot, inv, dw.slot], FIELDS, params, ctx.flat(h));
  },
};

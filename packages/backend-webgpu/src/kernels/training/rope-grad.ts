import type { WebGpuTrainingOp } from '../../training-op-entry.js';
import { ropeFrequencyTable, ropeKernel } from '../rope.js';
import { lowerRotation } from '../rope-op.js';

/**
 * Rope backward: the rotation's transpose (rope with negated angles), with the forward's cos/sin (rope.ts: the
 * host-built table when positions come from the host, else the exact device angles):
 *   dx[i] = dy[i]·cos + dy[i+hd/2]·sin,   dx[i+hd/2] = dy[i+hd/2]·cos − dy[i]·sin
 */
export const ropeGradOp: WebGpuTrainingOp<'RopeGrad'> = {
  constant: (node) => ({ data: ropeFrequencyTable(node.attrs.invFreq), what: `${node.name} invFreq` }),
  kernels: (_node, { tun }) => [ropeKernel(tun, true)],
  lower: (node, ctx, [shape]) => lowerRotation(node, ctx, shape, true),
};

import { BackendError } from '@xlora/core';
import type { WebGpuOp } from '../op-entry.js';

const NOT_YET = 'MoeMlp (Mixtral) is not implemented on the webgpu backend yet';

/** Placeholder so the op table is complete: compiling a graph with MoeMlp fails with a clear error. */
export const moeMlpOp: WebGpuOp<'MoeMlp'> = {
  kernels(node) {
    throw new BackendError(`${NOT_YET} (node "${node.name}")`);
  },
  lower(node) {
    throw new BackendError(`${NOT_YET} (node "${node.name}")`);
  },
};

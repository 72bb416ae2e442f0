import { BackendError, type TrainingOpType } from '@xlora/core';
import type { WebGpuTrainingOp } from '../../training-op-entry.js';

/** The entry of a training op that has no WGSL kernel yet: compile() refuses graphs that hold it, naming the op. */
export function notYetOp<K extends TrainingOpType>(op: K): WebGpuTrainingOp<K> {
  const missing = `${op} has no WGSL kernel on the webgpu backend yet (use backend-cpu to train graphs that need it)`;
  const fail = (): never => {
    throw new BackendError(missing);
  };
  return { missing, kernels: fail, lower: fail };
}

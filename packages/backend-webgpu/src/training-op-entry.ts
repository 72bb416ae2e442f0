import type { TrainingNodeOf, TrainingOpType } from '@xlora/core';
import type { Lowering } from './lower.js';
import type { CompileContext } from './op-entry.js';
import type { KernelSpec } from './pipelines.js';

/**
 * Everything the WebGPU backend knows about one training op (the catalog of @xlora/core's TRAINING_OP_TYPES): the
 * kernels it compiles ahead of the first run and its lowering into kernel steps, as WebGpuOp does for the inference
 * ops. Training ops read and write dense f32/i32 arrays only.
 */
export interface WebGpuTrainingOp<K extends TrainingOpType> {
  /** a constant table built once per node at compile time (bound through Lowering.env.nodeConst) */
  constant?: (node: TrainingNodeOf<K>) => { data: Float32Array | Int32Array; what: string };
  kernels(node: TrainingNodeOf<K>, ctx: CompileContext): KernelSpec[];
  lower(node: TrainingNodeOf<K>, ctx: Lowering, shapes: number[][]): void;
}

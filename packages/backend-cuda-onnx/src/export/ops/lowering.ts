import type { NodeOf, OpType } from '@xlora/core';
import type { OnnxBuilder } from '../onnx-builder.js';
import type { FusionPlan } from '../fusion-plan.js';

/** Emits the ONNX nodes for one IR node; must produce every one of `node.outputs` under its own name. */
export type Lowering<K extends OpType> = (b: OnnxBuilder, node: NodeOf<K>, plan: FusionPlan) => void;

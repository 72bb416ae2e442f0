import { InputError } from '@xlora/core';
import type { ParameterMap } from './parameters.js';

/** An optimizer updates parameters in place from their gradients, with a learning rate given per step (schedules). */
export interface Optimizer {
  readonly name: string;
  step(params: ParameterMap, grads: ParameterMap, lr: number): void;
}

/** Each parameter must have a gradient of its own shape. */
export function gradientOf(grads: ParameterMap, name: string, size: number): Float32Array {
  const g = grads.get(name);
  if (!g) throw new InputError(`optimizer step: no gradient for parameter "${name}"`);
  if (g.data.length !== size) throw new InputError(`optimizer step: gradient of "${name}" has ${g.data.length} values, the parameter ${size}`);
  return g.data;
}

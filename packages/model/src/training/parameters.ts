import type { HostTensor } from '@xlora/core';

/** Trainable parameters (or their gradients) by name, f32, updated in place by the optimizers. */
export type ParameterMap = Map<string, HostTensor<'f32'>>;

import { InputError, type TrainingBackend } from '@xlora/core';
import { startBackend } from './backend-choice.js';

/** The backends with gradient kernels; ONNX Runtime is inference only here. */
export const TRAINING_BACKENDS = ['cpu', 'webgpu'] as const;

/** Starts the backend a training run computes on (cpu, or webgpu: Dawn in Node). */
export async function startTrainingBackend(name: string): Promise<TrainingBackend> {
  if (!(TRAINING_BACKENDS as readonly string[]).includes(name)) {
    throw new InputError(`--backend ${name}: training runs on ${TRAINING_BACKENDS.join(' or ')} (ONNX Runtime is inference only here)`);
  }
  // both registered backends compile training graphs (they implement TrainingBackend); the registry types them as Backend
  return (await startBackend(name)) as unknown as TrainingBackend;
}

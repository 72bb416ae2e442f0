import type { BaseModelConfig } from '@xlora/config';
import type { ExpectedWeight } from '../architectures/architecture.js';
import { architectureOf } from '../architectures/registry.js';

export type { ExpectedWeight } from '../architectures/architecture.js';

/**
 * Every tensor a checkpoint of `cfg`'s architecture must hold, with its shape (PyTorch [out, in] layout), in file
 * order. Lazy: a loader that stops at the first missing tensor does work bounded by the file, however large
 * `num_hidden_layers` claims to be.
 */
export function expectedBaseWeights(cfg: BaseModelConfig): Generator<ExpectedWeight> {
  return architectureOf(cfg).expectedWeights(cfg);
}

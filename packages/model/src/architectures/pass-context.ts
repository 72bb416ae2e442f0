import type { GraphBuilder, HostTensor } from '@xlora/core';
import type { BaseModelConfig } from '@xlora/config';
import type { PassContext, PassInputs, PassLora } from './architecture.js';

/** A PassContext whose constants land in `constants` (name → tensor), to bind with the graph's weights. */
export function passContext(g: GraphBuilder, config: BaseModelConfig, inputs: PassInputs, pass: string, lora: PassLora | null,
  constants: Map<string, HostTensor>, variant: string | null = null): PassContext {
  return {
    g, config, inputs, pass, lora, variant,
    constant: (name, tensor) => {
      constants.set(name, tensor);
      return g.weight(name, tensor.shape);
    },
  };
}

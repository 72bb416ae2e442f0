import { SUPPORTED_ARCHITECTURES, type BaseModelConfig, type SupportedArchitecture } from '@xlora/config';
import { InputError } from '@xlora/core';
import type { Architecture } from './architecture.js';
import { GEMMA } from './gemma/gemma.js';
import { GEMMA2 } from './gemma2/gemma2.js';
import { LLAMA, MISTRAL, QWEN2 } from './llama/llama.js';
import { MIXTRAL } from './mixtral/mixtral.js';
import { PHI3 } from './phi3/phi3.js';

/** Every architecture the model runs, by config.json `architectures` name (@xlora/config parses the same list). */
export const ARCHITECTURES: Readonly<Record<SupportedArchitecture, Architecture>> = {
  LlamaForCausalLM: LLAMA,
  MistralForCausalLM: MISTRAL,
  Qwen2ForCausalLM: QWEN2,
  GemmaForCausalLM: GEMMA,
  Gemma2ForCausalLM: GEMMA2,
  Phi3ForCausalLM: PHI3,
  MixtralForCausalLM: MIXTRAL,
};

/** The architecture of a parsed base config. */
export function architectureOf(config: Pick<BaseModelConfig, 'architecture'>): Architecture {
  const arch = (ARCHITECTURES as Record<string, Architecture | undefined>)[config.architecture];
  if (!arch) throw new InputError(`unsupported architecture ${config.architecture} (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
  return arch;
}

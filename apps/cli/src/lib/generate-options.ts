import { InputError } from '@xlora/core';

/** The sampler's PRNG (mulberry32) has 32 bits of state: larger seeds would silently wrap around. */
export const MAX_SEED = 0xffff_ffff;

/** The generate flags checked here (commander has already parsed the numbers). */
export interface GenerateFlags {
  inputs?: string;
  prompt?: string;
  chat?: boolean;
  system?: string;
  maxNewTokens: number;
  doSample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

const SAMPLING_FLAGS = [['temperature', '--temperature'], ['topK', '--top-k'], ['topP', '--top-p']] as const;

/**
 * Refuses flag combinations that would be silently ignored and values outside what the model and sampler
 * support, before any model is loaded. transformers only warns when sampling parameters come without
 * do_sample=True; on a command line such a flag is almost always a mistake, so it is an error here.
 */
export function checkGenerateFlags(a: GenerateFlags): void {
  if ((a.inputs === undefined) === (a.prompt === undefined)) throw new InputError('give exactly one of --inputs IN.safetensors or --prompt TEXT');
  if (a.chat && a.prompt === undefined) throw new InputError('--chat wraps --prompt in the chat template: give --prompt TEXT (not --inputs)');
  if (a.system !== undefined && !a.chat) throw new InputError('--system is a system message for --chat: add --chat or drop --system');
  const ignored = SAMPLING_FLAGS.filter(([key]) => a[key] !== undefined).map(([, flag]) => flag);
  if (ignored.length > 0 && !a.doSample) {
    throw new InputError(`${ignored.join(', ')} only ${ignored.length > 1 ? 'apply' : 'applies'} when sampling: add --do-sample (greedy decoding would ignore ${ignored.length > 1 ? 'them' : 'it'})`);
  }
  if (!Number.isSafeInteger(a.maxNewTokens)) throw new InputError(`--max-new-tokens must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got ${a.maxNewTokens}`);
  if (a.temperature !== undefined && !(a.temperature > 0 && Number.isFinite(a.temperature))) {
    throw new InputError(`--temperature must be a number > 0, got ${a.temperature}`);
  }
  if (a.topP !== undefined && !(a.topP > 0 && a.topP <= 1)) throw new InputError(`--top-p must be a number in (0, 1], got ${a.topP}`);
  if (a.topK !== undefined && !(Number.isSafeInteger(a.topK) && a.topK >= 0)) {
    throw new InputError(`--top-k must be an integer >= 0 (0: no top-k filtering), got ${a.topK}`);
  }
  if (a.seed !== undefined && !(Number.isInteger(a.seed) && a.seed >= 0 && a.seed <= MAX_SEED)) {
    throw new InputError(`--seed must be an integer from 0 to ${MAX_SEED} (the sampler's generator has 32 bits of state), got ${a.seed}`);
  }
}

import { InputError } from '@xlora/core';

/** What is wrong with a GGUF file; each kind of corruption has its own reason. */
export type GgufErrorReason =
  | 'bad-magic'
  | 'unsupported-version'
  | 'truncated'
  | 'absurd-count'
  | 'unknown-value-type'
  | 'bad-value'
  | 'unknown-ggml-type'
  | 'unsupported-ggml-type'
  | 'bad-shape'
  | 'misaligned'
  | 'tensor-out-of-range'
  | 'tensor-overlap'
  | 'duplicate-name';

/** A malformed or unsupported GGUF file. The message names the file, the key or tensor, and what was expected. */
export class GgufError extends InputError {
  readonly reason: GgufErrorReason;
  constructor(reason: GgufErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GgufError';
    this.reason = reason;
  }
}

/** Base class of every error this project throws on purpose; `code` is stable, `message` is for people. */
export class XLoraError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XLoraError';
    this.code = code;
  }
}

/** Bad input on disk or from a caller: names the file (or argument), the field and what was expected. */
export class InputError extends XLoraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INPUT', message, options);
    this.name = 'InputError';
  }
}

/** A backend could not start or lost its device. */
export class BackendError extends XLoraError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_BACKEND', message, options);
    this.name = 'BackendError';
  }
}

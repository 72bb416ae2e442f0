import { InputError } from '@xlora/core';
import { EngineClosedError, QueueFullError } from '@xlora/model';

/** An error in OpenAI's shape: {"error": {"message", "type", "param", "code"}} with its HTTP status. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly type: string, readonly param: string | null = null,
    readonly code: string | null = null, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
  }

  body() {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, message, 'invalid_request_error', param, code);

/** What any error thrown while serving a request becomes: bad input 400, busy 429, shutting down 503, else 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof InputError) return badRequest(err.message);
  if (err instanceof QueueFullError) {
    return new ApiError(429, err.message, 'rate_limit_error', null, 'queue_full', { 'retry-after': String(err.retryAfterSeconds) });
  }
  if (err instanceof EngineClosedError) return new ApiError(503, err.message, 'server_error', null, 'shutting_down');
  return new ApiError(500, `internal error: ${err instanceof Error ? err.message : String(err)}`, 'server_error');
}

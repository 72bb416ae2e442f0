/** The queue of waiting requests is full: try again later (HTTP 429 with Retry-After). */
export class QueueFullError extends Error {
  constructor(readonly queued: number, readonly retryAfterSeconds: number) {
    super(`the server is busy: ${queued} requests are waiting (the queue is full); retry in ${retryAfterSeconds} s`);
    this.name = 'QueueFullError';
  }
}

/** The engine is shutting down or closed: it takes no new requests (HTTP 503). */
export class EngineClosedError extends Error {
  constructor() {
    super('the server is shutting down and takes no new requests');
    this.name = 'EngineClosedError';
  }
}

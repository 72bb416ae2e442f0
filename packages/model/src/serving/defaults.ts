/** Tunables of the serving engine (ServingEngineOptions) when the caller leaves them out. */
export const SERVING_DEFAULTS = {
  maxBatch: 16,
  maxQueue: 64,
  /** prompt tokens prefilled between two decode steps (at least one prompt each time) */
  prefillTokensPerStep: 512,
} as const;

export { BatchKvCaches, type CacheSource, type RowCopy } from './batch-kv-caches.js';
export { ServingEngine, type EngineHandle, type EngineStats, type ServingEngineOptions } from './engine.js';
export { EngineClosedError, QueueFullError } from './errors.js';
export { SERVING_DEFAULTS } from './defaults.js';
export { tokenLogprobs, type TokenLogprob } from './logprobs.js';
export { MAX_TOP_LOGPROBS, type ChoiceResult, type EngineRequest, type EngineResult, type FinishReason, type RequestKnobs, type TokenEvent } from './request.js';

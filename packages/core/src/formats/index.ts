export * from './weight-format.js';
export * from './half.js';
export * from './packed-tensor.js';
export * from './quantize.js';
export * from './resolve-weights.js';
export { quantizeQ8_0, decodeQ8_0, roundHalfAwayFromZero } from './blocks/q8-0.js';
export { quantizeQ4_0, decodeQ4_0 } from './blocks/q4-0.js';
export { decodeQ4_K, q4kScaleMin } from './blocks/q4-k.js';
export { decodeQ6_K } from './blocks/q6-k.js';

export * from './training-ops.js';
export * from './training-shape-rules.js';
export * from './graph-emitter.js';
export * from './vjp-rules.js';
export * from './gradient-graph.js';
export * from './promote-weights.js';
export * from './dropout-mask.js';
export * from './effective-scalings-grad.js';

export * from './parameters.js';
export * from './optimizer.js';
export * from './sgd.js';
export * from './adamw.js';
export * from './clip-grad-norm.js';
export * from './lr-schedule.js';

export * from './random.js';
export * from './tolerance.js';
export * from './op-cases.js';
export * from './op-suite.js';

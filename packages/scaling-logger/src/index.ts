export * from './scalings-tensor.js';
export * from './scalings-logger.js';
export * from './export.js';

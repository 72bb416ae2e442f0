export * from './scalings-tensor.js';
export * from './scalings-logger.js';
export * from './export.js';
export * from './heatmap-svg.js';

export * from './classifier-layout.js';
export * from './classifier-graph.js';

export * from './expert-weights.js';
export * from './stack-experts.js';
export * from './lora-plan.js';
export * from './effective-scalings.js';
export * from './mixture-layer.js';

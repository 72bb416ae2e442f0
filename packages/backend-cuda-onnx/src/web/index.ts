export { createOrtWebBackend, OrtWebBackend, type OrtWebBackendOptions, type WebEp } from './web-backend.js';
export { OrtBackend, type OrtDeviceTensor, type OrtRunnerConfig } from '../session-runner.js';
export { graphToModel, serializeModel, symbolicShapes } from '../export/export-graph.js';
export type { ExportOptions } from '../export/options.js';
export type { OrtModule } from '../ort-types.js';

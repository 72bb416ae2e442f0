export { createOnnxBackend, loadOrtNode, OnnxBackend, type NodeEp, type OnnxBackendOptions } from './node-backend.js';
export { cudaInstallHint, cudaProviderProblem, CUDA_PROVIDER_LIBS, ortNodeBinDir, ortNodePackageDir } from './cuda-provider.js';
export { OrtBackend, type OrtDeviceTensor, type OrtRunnerConfig } from './session-runner.js';
export { exportOnnx, type ExportOnnxOptions, type ExportOnnxResult, type OnnxSidecar } from './export-onnx.js';
export { graphToModel, serializeModel, symbolicShapes, type SerializedModel } from './export/export-graph.js';
export { moveToExternalData, type ExternalFile } from './export/external-data.js';
export type { ExportOptions } from './export/options.js';
export type { OrtModule, OrtSession, OrtTensor } from './ort-types.js';

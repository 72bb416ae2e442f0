import { registerBackend } from '@xlora/core';
import { createOnnxBackend, type OnnxBackendOptions } from './node-backend.js';

/** 'cuda-onnx': onnxruntime-node, CUDA EP unless the options say otherwise. */
registerBackend('cuda-onnx', (options) => createOnnxBackend(options as OnnxBackendOptions | undefined), 5);

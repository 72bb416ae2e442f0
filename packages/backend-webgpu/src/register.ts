import { registerBackend } from '@xlora/core';
import { createWebGpuBackend } from './webgpu-backend.js';

registerBackend('webgpu', (options) => createWebGpuBackend(options ?? {}), 10);

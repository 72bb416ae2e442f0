import { registerBackend } from '@xlora/core';
import { createCpuBackend } from './cpu-backend.js';

registerBackend('cpu', createCpuBackend, 0);

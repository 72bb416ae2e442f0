export { CpuBackend, createCpuBackend, type CpuTensor } from './cpu-backend.js';

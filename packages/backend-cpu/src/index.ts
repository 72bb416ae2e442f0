export { CpuBackend, createCpuBackend, type CpuTensor } from './cpu-backend.js';
export { useSimdMatmul } from './kernels/simd/simd-matmul.js';

import { createCpuBackend } from '@xlora/backend-cpu';
import { gradCheckSuite } from './grad-suite.js';

// backend-cpu's gradient kernels against finite differences of its own forward kernels (every op of the op suite).
gradCheckSuite({ label: 'backend-cpu (reference)', createBackend: createCpuBackend });

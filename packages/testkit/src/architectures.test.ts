import { createCpuBackend } from '@xlora/backend-cpu';
import { architectureSuites } from './architecture-suites.js';

// backend-cpu against PEFT on every public architecture set (Gemma, Gemma 2, Phi-3, Mixtral, Llama 3 RoPE).
architectureSuites({ label: 'backend-cpu (reference)', createBackend: createCpuBackend });

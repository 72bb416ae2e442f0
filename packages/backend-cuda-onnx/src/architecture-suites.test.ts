import { architectureSuites, type SuiteTarget } from '@xlora/testkit';
import { createOnnxBackend } from './index.js';
import { cudaSkipReason } from './testing/ep-availability.js';
import { createOrtWebBackend } from './web/index.js';

/**
 * The PEFT architecture sets (Gemma, Gemma 2, Phi-3, Mixtral, Llama 3 RoPE) through @xlora/model on ORT: forward
 * unpadded and padded, cached generation against PEFT's uncached goldens, base and each expert alone.
 */
const targets: SuiteTarget[] = [
  { label: 'onnxruntime-node cpu EP', createBackend: () => createOnnxBackend({ ep: 'cpu' }) },
  { label: 'onnxruntime-web wasm (Node)', createBackend: () => createOrtWebBackend({ ep: 'wasm' }) },
  { label: 'onnxruntime-node cuda EP', createBackend: () => createOnnxBackend({ ep: 'cuda' }), skipReason: await cudaSkipReason() },
];
for (const target of targets) architectureSuites(target);

import { concurrencySuite, generateSuite, inputValidationSuite, weightFormatSuite, xloraForwardSuite, type SuiteTarget } from '@xlora/testkit';
import { createOnnxBackend } from './index.js';
import { cudaSkipReason } from './testing/ep-availability.js';
import { createOrtWebBackend } from './web/index.js';

/**
 * The PEFT fixtures through @xlora/model on the ORT backends (forward vs PEFT, generation, cache vs recompute), the
 * input validation above the backends, concurrent calls, and each storage format (packed weights vs the same model
 * dequantized). CUDA runs them too where its provider can start.
 */
const targets: SuiteTarget[] = [
  { label: 'onnxruntime-node cpu EP', createBackend: () => createOnnxBackend({ ep: 'cpu' }) },
  { label: 'onnxruntime-web wasm (Node)', createBackend: () => createOrtWebBackend({ ep: 'wasm' }) },
  { label: 'onnxruntime-node cuda EP', createBackend: () => createOnnxBackend({ ep: 'cuda' }), skipReason: await cudaSkipReason() },
];
for (const target of targets) {
  xloraForwardSuite(target);
  generateSuite(target);
  inputValidationSuite(target);
  concurrencySuite(target);
  weightFormatSuite(target);
}

import { generateSuite, xloraForwardSuite, type SuiteTarget } from '@xlora/testkit';
import { createOnnxBackend } from './index.js';
import { createOrtWebBackend } from './web/index.js';

/** The PEFT fixtures through @xlora/model on the ORT backends (forward vs PEFT, generation, cache vs recompute). */
const targets: SuiteTarget[] = [
  { label: 'onnxruntime-node cpu EP', createBackend: () => createOnnxBackend({ ep: 'cpu' }) },
  { label: 'onnxruntime-web wasm (Node)', createBackend: () => createOrtWebBackend({ ep: 'wasm' }) },
];
for (const target of targets) {
  xloraForwardSuite(target);
  generateSuite(target);
}

import { createCpuBackend } from '@xlora/backend-cpu';
import { concurrencySuite, inputValidationSuite } from './safety-suites.js';
import { generateSuite, xloraForwardSuite } from './xlora-suites.js';
import { weightFormatSuite } from './format-suites.js';

// backend-cpu is the reference every other backend is compared with; here it is compared with PEFT itself.
const target = { label: 'backend-cpu (reference)', createBackend: createCpuBackend };
xloraForwardSuite(target);
generateSuite(target);
inputValidationSuite(target);
concurrencySuite(target);
weightFormatSuite(target);

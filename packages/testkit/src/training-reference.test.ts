import { createCpuBackend } from '@xlora/backend-cpu';
import { trainingFixtureSuite } from './training-suite.js';

// backend-cpu's training (autodiff, kernels, XLoraTrainer) against PEFT's training fixtures.
trainingFixtureSuite({ label: 'backend-cpu (reference)', createBackend: createCpuBackend });

import { BackendError } from '@xlora/core';
import type { Lowering } from './lowering.js';

export const lowerMoeMlp: Lowering<'MoeMlp'> = () => {
  throw new BackendError('MoeMlp (Mixtral) is not implemented on the ONNX Runtime backend yet');
};

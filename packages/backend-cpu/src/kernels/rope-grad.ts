import type { HostTensor, RopeAttrs } from '@xlora/core';
import { rotate } from './rope.js';

/**
 * Rope backward: the rotation's transpose, i.e. rope with negated angles (same f32 angles as rope.ts):
 *   dx[i] = dy[i]·cos + dy[i+hd/2]·sin,   dx[i+hd/2] = dy[i+hd/2]·cos − dy[i]·sin
 */
export function ropeGrad(dy: HostTensor, positionIds: HostTensor, attrs: RopeAttrs): HostTensor<'f32'> {
  return rotate(dy, positionIds, attrs, -1);
}

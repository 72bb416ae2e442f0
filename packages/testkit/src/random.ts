import { f32, i32, type HostTensor } from '@xlora/core';

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** f32 tensor with values uniform in [-scale, scale). */
export function randomF32(rand: () => number, shape: readonly number[], scale = 1): HostTensor<'f32'> {
  const t = f32(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = (rand() * 2 - 1) * scale;
  return t;
}

export function randomInts(rand: () => number, shape: readonly number[], max: number): HostTensor<'i32'> {
  const t = i32(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = Math.floor(rand() * max);
  return t;
}

/**
 * The dropout generator every backend uses, so one seed gives the same mask everywhere (and the backward pass
 * regenerates the forward's mask instead of storing it). Counter-based: a PCG-style 32-bit hash of the element index
 * offset by a hash of (seed, stream); an element is kept when hash / 2³² ≥ p. All arithmetic is u32 (WGSL-friendly).
 */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The per-(seed, stream) offset added to the element index before hashing. */
export function dropoutKey(seed: number, stream: number): number {
  return pcgHash((seed ^ pcgHash(stream >>> 0)) >>> 0);
}

/** Whether element `index` survives dropout with probability p of being dropped. */
export function dropoutKeeps(key: number, index: number, p: number): boolean {
  return pcgHash((key + index) >>> 0) / 4294967296 >= p;
}

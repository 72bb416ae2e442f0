/** Deterministic pseudo-random numbers for generated benchmark weights (no quality needed beyond "looks random"). */

/** mulberry32: uniform u32s from a 32-bit seed. */
export function u32Stream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform in (0, 1). */
export function uniformStream(seed: number): () => number {
  const next = u32Stream(seed);
  return () => (next() + 1) / 4294967297;
}

/** Standard normal samples (Box-Muller). */
export function normalSampler(seed: number): () => number {
  const uniform = uniformStream(seed);
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Fills `out` with random bytes, four per u32 draw. */
export function fillRandomBytes(next: () => number, out: Uint8Array): void {
  const words = Math.floor(out.length / 4);
  if (out.byteOffset % 4 === 0) {
    const view = new Uint32Array(out.buffer, out.byteOffset, words); // little-endian hosts only, as the files are
    for (let i = 0; i < words; i++) view[i] = next();
  } else {
    for (let i = 0; i < words; i++) {
      const w = next();
      out[4 * i] = w; out[4 * i + 1] = w >>> 8; out[4 * i + 2] = w >>> 16; out[4 * i + 3] = w >>> 24;
    }
  }
  for (let i = 4 * words; i < out.length; i++) out[i] = next();
}

import type { WeightRows } from '../weight-rows.js';
import { MATMUL_TILE_WASM } from './matmul-tile-wasm.js';

type Tile4 = (x: number, w: number, out: number, rows: number, k: number) => void;

interface TileKernel {
  readonly memory: WebAssembly.Memory;
  readonly tile4: Tile4;
}

/** The f32 values a block of rows may hold in wasm memory at once (x rows + their outputs): 32 MB. */
const BLOCK_FLOATS = 8 * 1024 * 1024;

let kernel: TileKernel | null | undefined;
let enabled = true;

function instantiate(): TileKernel | null {
  try {
    const bytes = Uint8Array.from(atob(MATMUL_TILE_WASM), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    return { memory: instance.exports.memory as WebAssembly.Memory, tile4: instance.exports.tile4 as Tile4 };
  } catch {
    return null; // no WebAssembly SIMD here: the plain TypeScript kernel runs
  }
}

/** The WebAssembly SIMD tile kernel, or null where it cannot run or has been switched off. */
export function simdKernel(): TileKernel | null {
  if (!enabled) return null;
  if (kernel === undefined) kernel = instantiate();
  return kernel;
}

/**
 * Switches the cpu backend's WebAssembly SIMD matmul on or off (on by default where WebAssembly SIMD exists). Off,
 * every product runs the plain TypeScript kernel: each output summed over K in order in double precision. On, an
 * f32 matmul sums in f32 over four lanes (relative differences of order 1e-7 of Σ|x·w|). For benchmarks and tests.
 */
export function useSimdMatmul(on: boolean): void {
  enabled = on;
}

function floatsView(k: TileKernel, floats: number): Float32Array {
  const bytes = floats * 4;
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
  return new Float32Array(k.memory.buffer);
}

const roundUp4 = (v: number) => (v + 3) & ~3;

/**
 * o[r, j] = Σ_i xs[r·k + i] · w[j, i] for every row r < rows and weight row j in [from, n), on the SIMD tile kernel.
 * Rows of x are copied into wasm memory zero-padded to a multiple of 4, a block of them at a time; each tile of four
 * weight rows (read from its storage format by `source`, zero rows past n) is copied once per block and serves
 * every row of the block.
 */
export function simdMatmul(k: TileKernel, xs: Float32Array, source: WeightRows, o: Float32Array, rows: number, n: number, kLen: number, from: number): void {
  const k4 = roundUp4(kLen);
  const block = Math.max(1, Math.min(rows, Math.floor(BLOCK_FLOATS / (k4 + 4 * 4))));
  const wAt = 0, outAt = 4 * k4;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const count = Math.min(block, rows - r0);
    const xAt = outAt + count * 4;
    let f = floatsView(k, xAt + count * k4);
    copyPadded(f, xAt, xs, r0 * kLen, count, kLen, k4);
    for (let j = from; j < n; j += 4) {
      const cols = Math.min(4, n - j);
      const { data, offset } = source.read(j, cols);
      copyPadded(f, wAt, data, offset, cols, kLen, k4);
      if (cols < 4) f.fill(0, wAt + cols * k4, wAt + 4 * k4);
      k.tile4(xAt * 4, wAt * 4, outAt * 4, count, k4);
      for (let r = 0; r < count; r++) {
        const s = outAt + r * 4, d = (r0 + r) * n + j;
        for (let c = 0; c < cols; c++) o[d + c] = f[s + c];
      }
    }
  }
}

/** `count` rows of `len` values from src[at..] into dst[to..] with row stride `stride` (≥ len), the gap zeroed. */
function copyPadded(dst: Float32Array, to: number, src: Float32Array, at: number, count: number, len: number, stride: number): void {
  if (stride === len) {
    dst.set(src.subarray(at, at + count * len), to);
    return;
  }
  for (let r = 0; r < count; r++) {
    dst.set(src.subarray(at + r * len, at + (r + 1) * len), to + r * stride);
    dst.fill(0, to + r * stride + len, to + (r + 1) * stride);
  }
}

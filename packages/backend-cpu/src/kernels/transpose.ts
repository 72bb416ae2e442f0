/** m [rows, cols] (row-major, from `offset`) -> a new [cols, rows]. Walked in square tiles to keep both sides in cache. */
export function transposed(m: Float32Array, rows: number, cols: number, offset = 0): Float32Array {
  const out = new Float32Array(rows * cols);
  const TILE = 32;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const from = offset + r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = m[from + c];
      }
    }
  }
  return out;
}

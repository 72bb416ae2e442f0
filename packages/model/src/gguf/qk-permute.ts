import { FORMAT_LAYOUT, InputError, isPacked, rowBytes, type WeightTensor } from '@xlora/core';

/**
 * llama.cpp's convert_hf_to_gguf stores the q_proj/k_proj rows of Llama-family models permuted for its rotary
 * layout: within each head of `headDim` rows, HF row i·(headDim/2) + j (i ∈ {0,1}, j < headDim/2) goes to row
 * 2j + i (the two rotary halves interleaved). Whole rows move, so this works on packed block rows as on f32.
 * `toGguf` permutes (HF -> GGUF); otherwise the rows are un-permuted (GGUF -> HF).
 */
export function permuteQkRows(t: WeightTensor, nHeads: number, toGguf: boolean, what: string): WeightTensor {
  const rows = t.shape[0];
  if (rows % nHeads !== 0 || (rows / nHeads) % 2 !== 0) {
    throw new InputError(`${what}: ${rows} rows cannot be split into ${nHeads} heads of an even size (rotary halves)`);
  }
  const headDim = rows / nHeads;
  const half = headDim / 2;
  const rowLen = rowByteLength(t, what);
  const src = isPacked(t) ? t.bytes : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(src.length);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < half; j++) {
        const hf = h * headDim + i * half + j;
        const gguf = h * headDim + 2 * j + i;
        const [from, to] = toGguf ? [hf, gguf] : [gguf, hf];
        out.set(src.subarray(from * rowLen, (from + 1) * rowLen), to * rowLen);
      }
    }
  }
  if (isPacked(t)) return { format: t.format, shape: [...t.shape], bytes: out };
  return { dtype: t.dtype, shape: [...t.shape], data: t.dtype === 'f32' ? new Float32Array(out.buffer) : new Int32Array(out.buffer) } as WeightTensor;
}

/** Bytes of one row (a 1-D bias: one value). */
function rowByteLength(t: WeightTensor, what: string): number {
  const cols = t.shape.length === 1 ? 1 : t.shape.slice(1).reduce((a, b) => a * b, 1);
  if (!isPacked(t)) return 4 * cols;
  if (t.shape.length === 1 && FORMAT_LAYOUT[t.format].blockElems !== 1) {
    throw new InputError(`${what}: a 1-D ${t.format} tensor has no rows to permute`);
  }
  return t.shape.length === 1 ? FORMAT_LAYOUT[t.format].blockBytes : rowBytes(t.format, t.shape[t.shape.length - 1])! * (cols / t.shape[t.shape.length - 1]);
}

/**
 * A tensor dimension: a number, or a symbol such as "batch", "seq", "past" (or a sum "past+seq").
 * Symbolic dims document a graph and name ONNX dim_params; backends see concrete shapes at run time.
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

export function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return `${a}+${b}`;
}

export function mulDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (a === 1) return b;
  if (b === 1) return a;
  return `${a}*${b}`;
}

export function dimsEqual(a: Dim, b: Dim): boolean {
  return a === b;
}

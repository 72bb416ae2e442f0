import { InputError } from './errors.js';

/** Element types that flow through graphs (compute dtypes). Weights may be stored in other formats: see WeightFormat. */
export type DType = 'f32' | 'i32';

export type TypedArrayFor<D extends DType> = D extends 'f32' ? Float32Array : Int32Array;

/** A dense row-major tensor in host memory. */
export interface HostTensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TypedArrayFor<D>;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function f32(shape: readonly number[], data?: Float32Array | readonly number[]): HostTensor<'f32'> {
  const n = numel(shape);
  const arr = data === undefined ? new Float32Array(n) : data instanceof Float32Array ? data : Float32Array.from(data);
  if (arr.length !== n) throw new InputError(`f32 tensor: shape [${shape.join(', ')}] needs ${n} values, got ${arr.length}`);
  return { dtype: 'f32', shape: [...shape], data: arr };
}

export function i32(shape: readonly number[], data?: Int32Array | readonly number[]): HostTensor<'i32'> {
  const n = numel(shape);
  const arr = data === undefined ? new Int32Array(n) : data instanceof Int32Array ? data : Int32Array.from(data);
  if (arr.length !== n) throw new InputError(`i32 tensor: shape [${shape.join(', ')}] needs ${n} values, got ${arr.length}`);
  return { dtype: 'i32', shape: [...shape], data: arr };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

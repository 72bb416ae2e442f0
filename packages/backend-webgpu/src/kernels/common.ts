import { BackendError } from '@xlora/core';
import type { KernelSpec } from '../pipelines.js';

/** One uniform field: name and WGSL scalar type. Kernels declare their params as a list of these. */
export type Field = readonly [name: string, type: 'u32' | 'i32' | 'f32'];

/** `struct P { ... }` from fields (all scalars: 4-byte packed, one uniform slot holds up to 64). */
export function paramsStruct(fields: readonly Field[]): string {
  return `struct P {\n${fields.map(([n, t]) => `  ${n}: ${t},`).join('\n')}\n};\n@group(0) @binding(0) var<uniform> p: P;\n`;
}

/** Packs values in field order into uniform words. */
export function packParams(fields: readonly Field[], values: readonly number[]): Uint32Array {
  if (values.length !== fields.length) throw new Error(`internal: ${fields.length} params expected, got ${values.length}`);
  const words = new Uint32Array(fields.length);
  const f = new Float32Array(words.buffer);
  const i = new Int32Array(words.buffer);
  fields.forEach(([, t], k) => {
    if (t === 'f32') f[k] = values[k];
    else if (t === 'i32') i[k] = values[k];
    else words[k] = values[k];
  });
  return words;
}

const specs = new Map<string, KernelSpec>();

/** Builds a kernel spec once per key (WGSL strings are generated once, not per run). */
export function memoSpec(key: string, build: () => Omit<KernelSpec, 'key'>): KernelSpec {
  let s = specs.get(key);
  if (!s) specs.set(key, (s = { key, ...build() }));
  return s;
}

/** Workgroup grid for `count` workgroups: x up to maxDim, then rows of y (kernels flatten wid.y * nwg.x + wid.x). */
export function grid(count: number, maxDim: number): [number, number] {
  if (count <= maxDim) return [count, 1];
  const y = Math.ceil(count / maxDim);
  if (y > maxDim) throw new BackendError(`a dispatch of ${count} workgroups exceeds maxComputeWorkgroupsPerDimension² (${maxDim}²) on this device`);
  return [Math.ceil(count / y), y];
}

/** WGSL entry-point builtins shared by all kernels. */
export const BUILTINS = '@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32';
/** flat workgroup index over a 2-D grid */
export const FLAT_WG = 'let wg = wid.y * nwg.x + wid.x;';

export function storage(binding: number, name: string, access: 'read' | 'write', type: string): string {
  return `@group(0) @binding(${binding}) var<storage, ${access === 'read' ? 'read' : 'read_write'}> ${name}: array<${type}>;\n`;
}

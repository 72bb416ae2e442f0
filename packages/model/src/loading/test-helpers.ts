// Test-only helpers (not exported from index.ts): build safetensors bytes, good or broken, and fixture sources.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { InputError } from '@xlora/core';
import { mapFileSource } from './map-file-source.js';
import type { FileSource } from './file-source.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, '');
export const PEFT_FIXTURES = `${REPO_ROOT}/test-data/peft-xlora`;
export const DEMO_MODEL = `${REPO_ROOT}/models/xlora-demo`;

export interface RawTensor {
  dtype: string;
  shape: number[];
  data: ArrayBufferView;
}

/** A well-formed safetensors file (tensors stored in the given order). */
export function buildSafetensors(tensors: Record<string, RawTensor>, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + bytes.length] };
    chunks.push(bytes);
    at += bytes.length;
  }
  const data = new Uint8Array(at);
  let o = 0;
  for (const c of chunks) {
    data.set(c, o);
    o += c.length;
  }
  return rawSafetensors(JSON.stringify(header), data);
}

/** Any header text + data, with the header padded to 8 bytes; `headerLen` overrides the length prefix. */
export function rawSafetensors(headerText: string, data: Uint8Array, headerLen?: number): Uint8Array {
  let h = new TextEncoder().encode(headerText);
  const pad = (8 - (h.length % 8)) % 8;
  if (pad) h = new TextEncoder().encode(headerText + ' '.repeat(pad));
  const out = new Uint8Array(8 + h.length + data.length);
  const dv = new DataView(out.buffer);
  const n = headerLen ?? h.length;
  dv.setUint32(0, n % 2 ** 32, true);
  dv.setUint32(4, Math.floor(n / 2 ** 32), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

export function f32Tensor(shape: number[], values?: number[]): RawTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'F32', shape, data: Float32Array.from(values ?? Array.from({ length: n }, (_, i) => i * 0.5)) };
}

/** Every file under `dir` (absolute), keyed by `prefix` + relative path, for mapFileSource. */
export function filesUnder(dir: string, prefix = ''): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d)) {
      const full = `${d}/${name}`;
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(full).isDirectory()) walk(full, r);
      else out.set(prefix + r, new Uint8Array(readFileSync(full)));
    }
  };
  walk(dir, '');
  return out;
}

export function sourceOf(files: Map<string, Uint8Array>): FileSource {
  return mapFileSource(files);
}

export const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v, null, 2));

export async function expectInputError(fn: () => unknown, message: string | RegExp): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  if (typeof message === 'string') expect((caught as Error).message).toBe(message);
  else expect((caught as Error).message).toMatch(message);
}

export function expectInputErrorSync(fn: () => unknown, message: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  if (typeof message === 'string') expect((caught as Error).message).toBe(message);
  else expect((caught as Error).message).toMatch(message);
}

/** Header (parsed) and data section of a safetensors file, for building broken variants of a good one. */
export function splitSafetensors(bytes: Uint8Array): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as ReturnType<typeof splitSafetensors>['header'];
  delete (header as Record<string, unknown>).__metadata__;
  return { header, data: bytes.subarray(8 + n) };
}

/** The file with its header rewritten by `edit` (same data section). */
export function editSafetensorsHeader(bytes: Uint8Array, edit: (header: ReturnType<typeof splitSafetensors>['header']) => unknown): Uint8Array {
  const { header, data } = splitSafetensors(bytes);
  const out = edit(header) ?? header;
  return rawSafetensors(typeof out === 'string' ? out : JSON.stringify(out), data);
}

/** Every tensor of a good file as F32 RawTensors (copies), to edit and rebuild with buildSafetensors. */
export function tensorsOf(bytes: Uint8Array): Record<string, RawTensor> {
  const { header, data } = splitSafetensors(bytes);
  const out: Record<string, RawTensor> = {};
  for (const [name, e] of Object.entries(header)) {
    if (e.dtype !== 'F32') throw new Error(`tensorsOf: ${name} is ${e.dtype}, only F32 fixtures are supported`);
    out[name] = { dtype: 'F32', shape: e.shape, data: new Float32Array(data.slice(e.data_offsets[0], e.data_offsets[1]).buffer) };
  }
  return out;
}

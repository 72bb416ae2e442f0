import type { ScalingsTensor } from './scalings-tensor.js';

/** JSON export: shape + nested-free flat data, one object per log entry. */
export function scalingsLogToJson(log: readonly ScalingsTensor[], meta: Record<string, unknown> = {}): string {
  return JSON.stringify({
    format: 'xlora-scalings-log',
    version: 1,
    layout: '[batch, seq, layer, expert], after the classifier softmax and before top-k',
    ...meta,
    entries: log.map((t) => ({ shape: t.shape, data: Array.from(t.data) })),
  });
}

export function scalingsLogFromJson(json: string): ScalingsTensor[] {
  const parsed = JSON.parse(json) as { format?: string; entries?: { shape: number[]; data: number[] }[] };
  if (parsed.format !== 'xlora-scalings-log' || !Array.isArray(parsed.entries)) {
    throw new Error('not an xlora scalings log (expected "format": "xlora-scalings-log" and an "entries" array)');
  }
  return parsed.entries.map((e, i) => {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (e.data.length !== n) throw new Error(`scalings log entry ${i}: shape [${e.shape}] needs ${n} values, has ${e.data.length}`);
    return { shape: e.shape, data: Float32Array.from(e.data) };
  });
}

/** NumPy .npy (format 1.0, little-endian float32, C order) of one tensor. */
export function toNpy(t: ScalingsTensor): Uint8Array {
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + t.data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0); // \x93NUMPY v1.0
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < t.data.length; i++) body.setFloat32(i * 4, t.data[i], true);
  return out;
}

/** Reads a float32 .npy back (for round trips and tests). */
export function fromNpy(bytes: Uint8Array): ScalingsTensor {
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') throw new Error('not a .npy file');
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true);
  const header = String.fromCharCode(...bytes.subarray(10, 10 + headerLen));
  if (!header.includes("'<f4'")) throw new Error(`only little-endian float32 .npy is supported (header ${header.trim()})`);
  const shape = (header.match(/'shape': \(([^)]*)\)/)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset + 10 + headerLen);
  for (let i = 0; i < n; i++) data[i] = view.getFloat32(i * 4, true);
  return { shape, data };
}

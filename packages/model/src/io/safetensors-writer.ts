import type { HostTensor } from '@xlora/core';
import { floatToBf16Bits, floatToHalfBits } from '@xlora/core';

export interface WriteSafetensorsOptions {
  /** on-disk type of f32 tensors (default F32); F16/BF16 round to nearest even */
  floatDtype?: 'F32' | 'F16' | 'BF16';
}

/**
 * Serialises tensors to the safetensors format: u64 header length, JSON header (dtype, shape, data_offsets per
 * tensor, optional __metadata__), then the little-endian data, 8-byte aligned. f32 → F32, i32 → I32.
 */
export function writeSafetensors(
  tensors: Readonly<Record<string, HostTensor>>, metadata: Record<string, string> = { format: 'pt' }, options: WriteSafetensorsOptions = {},
): Uint8Array {
  const floatDtype = options.floatDtype ?? 'F32';
  const itemSize = (t: HostTensor) => (t.dtype === 'f32' && floatDtype !== 'F32' ? 2 : 4);
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    const bytes = t.data.length * itemSize(t);
    header[name] = { dtype: t.dtype === 'f32' ? floatDtype : 'I32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    const size = itemSize(t);
    for (let i = 0; i < t.data.length; i++, pos += size) {
      if (t.dtype === 'i32') view.setInt32(pos, t.data[i], true);
      else if (floatDtype === 'F32') view.setFloat32(pos, t.data[i], true);
      else view.setUint16(pos, floatDtype === 'F16' ? floatToHalfBits(t.data[i]) : floatToBf16Bits(t.data[i]), true);
    }
  }
  return out;
}

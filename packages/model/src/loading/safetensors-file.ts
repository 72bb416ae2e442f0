import { InputError, type HostTensor } from '@xlora/core';
import { parseSafetensorsHeader, safetensorsHeaderLength, type SafetensorsEntry, type SafetensorsLayout } from './safetensors-header.js';
import { anyValues, floatValues, intValues } from './safetensors-values.js';
import { missingTensorMessage, type TensorInfo, type TensorSource } from './tensor-source.js';

export { MAX_HEADER_BYTES } from './safetensors-header.js';

export interface SafetensorsFile extends TensorSource {
  /** `__metadata__` of the header (e.g. {"format": "pt"}), {} when absent. */
  readonly metadata: Record<string, string>;
}

/**
 * Parses a small .safetensors file held in memory (format: u64 little-endian header length, JSON header, data),
 * e.g. an expert or a test fixture; base weights are read by range instead (openSafetensors). Validates the
 * whole header up front; tensor data is converted on `get*`. F32/I32 tensors whose data is 4-byte aligned are
 * views into `bytes` (no copy): do not modify them. `file` names the file in every error.
 */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  const headerLen = safetensorsHeaderLength(bytes.subarray(0, 8), bytes.length, file);
  const layout = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLen), bytes.length, file);
  return new InMemorySafetensors(layout, bytes);
}

class InMemorySafetensors implements SafetensorsFile {
  readonly file: string;
  readonly metadata: Record<string, string>;

  constructor(
    private readonly layout: SafetensorsLayout,
    private readonly bytes: Uint8Array,
  ) {
    this.file = layout.file;
    this.metadata = layout.metadata;
  }

  names(): string[] {
    return [...this.layout.entries.keys()];
  }

  has(name: string): boolean {
    return this.layout.entries.has(name);
  }

  info(name: string): TensorInfo {
    const e = this.entry(name);
    return { dtype: e.dtype, shape: [...e.shape], byteLength: e.byteLength };
  }

  get(name: string): HostTensor {
    return anyValues(this.entry(name), this.data(name), this.file, name);
  }

  getF32(name: string): HostTensor<'f32'> {
    return floatValues(this.entry(name), this.data(name), this.file, name);
  }

  getI32(name: string): HostTensor<'i32'> {
    return intValues(this.entry(name), this.data(name), this.file, name);
  }

  private data(name: string): Uint8Array {
    const e = this.entry(name);
    return this.bytes.subarray(e.start, e.start + e.byteLength);
  }

  private entry(name: string): SafetensorsEntry {
    const e = this.layout.entries.get(name);
    if (!e) throw new InputError(missingTensorMessage(this.file, name, this.names()));
    return e;
  }
}

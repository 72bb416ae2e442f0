import { InputError } from '@xlora/core';
import { isSafetensorsDType, READABLE_DTYPES, SAFETENSORS_ITEM_SIZE } from './safetensors-dtypes.js';
import { jsonStructureProblem } from './json-structure.js';
import type { TensorInfo } from './tensor-source.js';

/** The format's own limit on the JSON header (safetensors MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry extends TensorInfo {
  /** Absolute byte offset of the tensor data in the file. */
  start: number;
}

/** A validated safetensors header: where each tensor lies in a file of `fileSize` bytes. */
export interface SafetensorsLayout {
  /** the file, for messages */
  readonly file: string;
  /** `__metadata__` of the header (e.g. {"format": "pt"}), {} when absent. */
  readonly metadata: Record<string, string>;
  /** tensors in header order */
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  readonly fileSize: number;
}

/**
 * The JSON header's length from the file's first 8 bytes (u64 little-endian), checked against the format's limit
 * and the file's size. `first` may be shorter than 8 only when the file is.
 */
export function safetensorsHeaderLength(first: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8) throw new InputError(`${file}: not a safetensors file: ${fileSize} bytes, shorter than the 8-byte header length`);
  const view = new DataView(first.buffer, first.byteOffset, 8);
  const headerLen = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  if (headerLen > MAX_HEADER_BYTES) {
    throw new InputError(`${file}: not a safetensors file: header length ${headerLen} is absurd (limit ${MAX_HEADER_BYTES} bytes)`);
  }
  if (headerLen > fileSize - 8) {
    throw new InputError(`${file}: truncated or not a safetensors file: header length ${headerLen} is beyond the end of the file (${fileSize} bytes)`);
  }
  return headerLen;
}

/**
 * Validates the whole header (the bytes after the length prefix) of a file of `fileSize` bytes: JSON, dtypes,
 * shapes, offsets, and that the tensors cover the data section exactly (the reference reader's rules).
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, fileSize: number, file: string): SafetensorsLayout {
  const header = parseHeaderJson(headerBytes, file);
  const headerLen = headerBytes.length;
  const dataStart = 8 + headerLen;
  const dataLen = fileSize - dataStart;

  let metadata: Record<string, string> = {};
  const entries = new Map<string, SafetensorsEntry>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(raw, file);
      continue;
    }
    const { begin, ...e } = parseEntry(name, raw, file, dataLen);
    entries.set(name, { ...e, start: dataStart + begin });
  }
  checkCoverage(entries, dataStart, dataLen, headerLen, file);
  return { file, metadata, entries, fileSize };
}

function parseHeaderJson(headerBytes: Uint8Array, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new InputError(`${file}: safetensors header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) {
    throw new InputError(`${file}: safetensors header must start with "{", got ${JSON.stringify(text.slice(0, 8))} (wrong header length or not a safetensors file)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: safetensors header is not valid JSON (${(err as Error).message})`);
  }
  const problem = jsonStructureProblem(text);
  if (problem !== null) throw new InputError(`${file}: safetensors header: ${problem}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError(`${file}: safetensors header must be a JSON object, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}`);
  }
  return json as Record<string, unknown>;
}

function parseMetadata(raw: unknown, file: string): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
    throw new InputError(`${file}: safetensors "__metadata__" must be an object of strings`);
  }
  return { ...(raw as Record<string, string>) };
}

function parseEntry(name: string, raw: unknown, file: string, dataLen: number): TensorInfo & { begin: number } {
  const where = `${file}: tensor ${JSON.stringify(name)}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError(`${where}: header entry must be an object with dtype, shape and data_offsets`);
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isSafetensorsDType(dtype)) {
    throw new InputError(`${where} has unknown dtype ${JSON.stringify(dtype) ?? 'undefined'} (supported: ${READABLE_DTYPES.join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InputError(`${where}: shape must be an array of non-negative integers, got ${short(shape)}`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new InputError(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${short(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLen) {
    throw new InputError(`${where}: data_offsets [${begin}, ${end}] are out of range (the data section has ${dataLen} bytes)`);
  }
  let numel = 1;
  for (const d of shape as number[]) numel *= d;
  const need = numel * SAFETENSORS_ITEM_SIZE[dtype];
  if (need !== end - begin) {
    throw new InputError(
      `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but dtype ${dtype} and shape [${(shape as number[]).join(', ')}] need ${need}`,
    );
  }
  return { dtype, shape: [...(shape as number[])], byteLength: end - begin, begin };
}

/**
 * The reference reader's rule (huggingface/safetensors `Metadata::validate` and `read_metadata`): sorted by
 * offsets, the tensors cover the data section exactly, without gaps, overlaps or trailing bytes.
 */
function checkCoverage(entries: Map<string, SafetensorsEntry>, dataStart: number, dataLen: number, headerLen: number, file: string): void {
  const sorted = [...entries].sort((a, b) => a[1].start - b[1].start || a[1].byteLength - b[1].byteLength);
  const range = (e: SafetensorsEntry) => `[${e.start - dataStart}, ${e.start - dataStart + e.byteLength}]`;
  let end = 0;
  let prev: [string, SafetensorsEntry] | undefined;
  for (const cur of sorted) {
    const [name, e] = cur;
    const begin = e.start - dataStart;
    if (begin < end) throw new InputError(`${file}: tensors ${JSON.stringify(prev![0])} ${range(prev![1])} and ${JSON.stringify(name)} ${range(e)} overlap`);
    if (begin > end) {
      const after = prev ? `where ${JSON.stringify(prev[0])} ends` : 'the start of the data section';
      throw new InputError(`${file}: tensor ${JSON.stringify(name)} starts at byte ${begin} of the data section, expected ${end} (${after}): ${begin - end} unused byte(s) between tensors`);
    }
    end = begin + e.byteLength;
    prev = cur;
  }
  if (end !== dataLen) {
    throw new InputError(
      `${file}: the tensors end at byte ${end} of the data section but it has ${dataLen} bytes: ${dataLen - end} trailing byte(s) ` +
        `(the file is not what its header describes; header length ${headerLen} may be wrong)`,
    );
  }
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v); // header values are nested at most MAX_JSON_DEPTH deep
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

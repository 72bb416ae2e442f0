import { GgufError } from './gguf-error.js';
import type { GgufKv } from './gguf-types.js';

const INT_TYPES = new Set(['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'u64', 'i64']);
const NUM_TYPES = new Set([...INT_TYPES, 'f32', 'f64']);

/** Typed reads of GGUF metadata; a wrong type is a GgufError naming the file, the key and what was expected. */
export class GgufMetadata {
  constructor(readonly entries: ReadonlyMap<string, GgufKv>, readonly file: string) {}

  has(key: string): boolean {
    return this.entries.has(key);
  }

  private fail(key: string, expected: string, kv: GgufKv): never {
    const got = kv.type === 'array' ? `an array of ${kv.itemType}` : `${kv.type} ${JSON.stringify(typeof kv.value === 'bigint' ? String(kv.value) : kv.value)}`;
    throw new GgufError('bad-value', `${this.file}: metadata ${JSON.stringify(key)} must be ${expected}, got ${got}`);
  }

  private required(key: string, expected: string): GgufKv {
    const kv = this.entries.get(key);
    if (kv === undefined) throw new GgufError('bad-value', `${this.file}: metadata ${JSON.stringify(key)} is missing (expected ${expected})`);
    return kv;
  }

  optString(key: string): string | undefined {
    const kv = this.entries.get(key);
    if (kv === undefined) return undefined;
    if (kv.type !== 'string') this.fail(key, 'a string', kv);
    return kv.value;
  }

  string(key: string): string {
    return this.optString(key) ?? this.fail(key, 'a string', this.required(key, 'a string'));
  }

  /** An integer of any integer type, >= min. */
  optInt(key: string, min = 0): number | undefined {
    const kv = this.entries.get(key);
    if (kv === undefined) return undefined;
    const expected = `an integer >= ${min}`;
    if (!INT_TYPES.has(kv.type) || typeof kv.value !== 'number' || kv.value < min) this.fail(key, expected, kv);
    return kv.value as number;
  }

  int(key: string, min = 0): number {
    this.required(key, `an integer >= ${min}`);
    return this.optInt(key, min)!;
  }

  /** A finite number of any numeric type. */
  optNumber(key: string): number | undefined {
    const kv = this.entries.get(key);
    if (kv === undefined) return undefined;
    if (!NUM_TYPES.has(kv.type) || typeof kv.value !== 'number' || !Number.isFinite(kv.value)) this.fail(key, 'a finite number', kv);
    return kv.value as number;
  }

  optBool(key: string): boolean | undefined {
    const kv = this.entries.get(key);
    if (kv === undefined) return undefined;
    if (kv.type !== 'bool') this.fail(key, 'a bool', kv);
    return kv.value;
  }

  optStrings(key: string): readonly string[] | undefined {
    const kv = this.entries.get(key);
    if (kv === undefined) return undefined;
    if (kv.type !== 'array' || kv.itemType !== 'string') this.fail(key, 'an array of strings', kv);
    return kv.value as string[];
  }

  /** A numeric array as plain numbers (f32 scores, i32 token types, …). */
  optNumbers(key: string): ArrayLike<number> | undefined {
    const kv = this.entries.get(key);
    if (kv === undefined) return undefined;
    if (kv.type !== 'array' || !NUM_TYPES.has(kv.itemType) || kv.itemType === 'u64' || kv.itemType === 'i64') this.fail(key, 'an array of numbers', kv);
    return kv.value as ArrayLike<number>;
  }
}

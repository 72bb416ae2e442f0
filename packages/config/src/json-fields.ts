import { InputError } from '@xlora/core';

/** A short, printable rendering of a JSON value for error messages. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // cyclic or too deeply nested for the stack: describe it instead
    text = Array.isArray(value) ? 'an array' : typeof value === 'object' && value !== null ? 'an object' : String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Throws unless `json` is a JSON object; names the file. */
export function expectObject(json: unknown, file: string): Record<string, unknown> {
  if (!isPlainObject(json)) {
    const kind = json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json;
    throw new InputError(`${file}: expected a JSON object, got ${kind}`);
  }
  return json;
}

/**
 * Reads typed fields from one JSON object (snake_case keys as on disk) and remembers which keys it consumed, so
 * the unknown ones can be kept verbatim. Every failure names the file, the field, the expectation and the value.
 */
export class FieldReader {
  private readonly used = new Set<string>();

  constructor(
    readonly obj: Record<string, unknown>,
    readonly file: string,
  ) {}

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, key);
  }

  /** The raw value (marks the key as known). */
  raw(key: string): unknown {
    this.used.add(key);
    return this.obj[key];
  }

  fail(key: string, expected: string, value: unknown = this.obj[key]): never {
    throw new InputError(`${this.file}: field "${key}" must be ${expected}, got ${showValue(value)}`);
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  nullableBool(key: string, fallback: boolean | null): boolean | null {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (v === null) return null;
    if (typeof v !== 'boolean') this.fail(key, 'true, false or null');
    return v;
  }

  /** An integer >= min (min defaults to 0). */
  int(key: string, fallback: number, min = 0): number {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (!isInt(v) || v < min) this.fail(key, `an integer >= ${min}`);
    return v;
  }

  nullableInt(key: string, fallback: number | null, min = 0): number | null {
    const v = this.raw(key);
    if (v === undefined || v === null) return v === null ? null : fallback;
    if (!isInt(v) || v < min) this.fail(key, `an integer >= ${min} or null`);
    return v;
  }

  /** A finite number; `check` describes and enforces a range. */
  num(key: string, fallback: number, check?: { ok: (n: number) => boolean; expected: string }): number {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    const expected = check?.expected ?? 'a finite number';
    if (typeof v !== 'number' || !Number.isFinite(v) || (check && !check.ok(v))) this.fail(key, expected);
    return v;
  }

  nullableNum(key: string, fallback: number | null, check?: { ok: (n: number) => boolean; expected: string }): number | null {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || (check && !check.ok(v))) {
      this.fail(key, `${check?.expected ?? 'a finite number'} or null`);
    }
    return v;
  }

  str(key: string, fallback: string): string {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  nullableStr(key: string, fallback: string | null): string | null {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (v === null) return null;
    if (typeof v !== 'string') this.fail(key, 'a string or null');
    return v;
  }

  nullableObject(key: string, fallback: Record<string, unknown> | null): Record<string, unknown> | null {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (v === null) return null;
    if (!isPlainObject(v)) this.fail(key, 'an object or null');
    return v;
  }

  /** An object whose values are all numbers (PEFT's rank_pattern / alpha_pattern). null reads as {}. */
  numberMap(key: string): Record<string, number> {
    const v = this.raw(key);
    if (v === undefined || v === null) return {};
    if (!isPlainObject(v)) this.fail(key, 'an object of numbers');
    for (const [k, n] of Object.entries(v)) {
      if (typeof n !== 'number' || !Number.isFinite(n)) this.fail(key, `an object of numbers (entry "${k}")`);
    }
    return { ...(v as Record<string, number>) };
  }

  /** null, a string, or an array of strings. */
  stringOrList(key: string): string | string[] | null {
    const v = this.raw(key);
    if (v === undefined || v === null) return null;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return [...(v as string[])];
    this.fail(key, 'a string, a list of strings or null');
  }

  nullableStringList(key: string): string[] | null {
    const v = this.raw(key);
    if (v === undefined || v === null) return null;
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return [...(v as string[])];
    this.fail(key, 'a list of strings or null');
  }

  /** Keys this reader never looked at, in file order, with their values untouched. */
  rest(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.obj)) if (!this.used.has(k)) out[k] = v;
    return out;
  }
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** Sorts keys like Python's json.dumps(sort_keys=True), which PEFT uses for adapter_config.json. */
export function sortKeys(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort(compareCodePoints)) out[k] = obj[k];
  return out;
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import { badRequest } from './api-error.js';

/**
 * Typed reads of request fields: a field of the wrong type or out of range is a 400 that names it (`param`).
 * Absent (undefined) or null gives the default.
 */
type Obj = Record<string, unknown>;

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"` : typeof v === 'object' ? 'an object' : String(v));
const wrong = (path: string, want: string, v: unknown) => badRequest(`"${path}" must be ${want}, got ${describe(v)}`, path, 'invalid_type');

export function optionalNumber(o: Obj, key: string, path: string, min: number, max: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw wrong(path, `a number from ${min} to ${max}`, v);
  return v;
}

export function optionalInt(o: Obj, key: string, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw wrong(path, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`, v);
  return v as number;
}

export function optionalBool(o: Obj, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw wrong(path, 'true or false', v);
  return v;
}

export function optionalString(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrong(path, 'a string', v);
  return v;
}

export function optionalObject(o: Obj, key: string, path: string): Obj | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw wrong(path, 'an object', v);
  return v as Obj;
}

export function requiredString(o: Obj, key: string, path: string): string {
  const v = optionalString(o, key, path);
  if (v === undefined) throw badRequest(`"${path}" is required`, path, 'missing_required_parameter');
  return v;
}

/** `stop`: a string or up to `max` strings, none empty. */
export function stopStrings(o: Obj, key: string, max: number): string[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length > max || !list.every((s) => typeof s === 'string' && s.length > 0)) {
    throw wrong(key, `a non-empty string or an array of at most ${max} non-empty strings`, v);
  }
  return list as string[];
}

/** One of `choices` (strings). */
export function optionalChoice<T extends string>(o: Obj, key: string, path: string, choices: readonly T[]): T | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === false) return undefined;
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) throw wrong(path, choices.map((c) => `"${c}"`).join(' or '), v);
  return v as T;
}

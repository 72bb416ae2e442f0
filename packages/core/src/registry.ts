import type { Backend } from './backend.js';
import { BackendError } from './errors.js';

export type BackendFactory = (options?: Record<string, unknown>) => Promise<Backend>;

interface Entry {
  name: string;
  factory: BackendFactory;
  priority: number;
}

const entries = new Map<string, Entry>();

/** Makes a backend available under `name`; higher priority wins when the caller has no preference. */
export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
  entries.set(name, { name, factory, priority });
}

export function registeredBackends(): string[] {
  return [...entries.values()].sort((a, b) => b.priority - a.priority).map((e) => e.name);
}

/**
 * Starts the first backend in `preferences` (or, without preferences, by priority) that works. When none does,
 * throws one error that says why each candidate failed.
 */
export async function resolveBackend(preferences?: readonly string[], options?: Record<string, unknown>): Promise<Backend> {
  const names = preferences?.length ? [...preferences] : registeredBackends();
  if (names.length === 0) throw new BackendError('no backend is registered (import "@xlora/backend-cpu/register" or another backend)');
  const failures: string[] = [];
  for (const name of names) {
    const entry = entries.get(name);
    if (!entry) {
      failures.push(`${name}: not registered (known: ${registeredBackends().join(', ') || 'none'})`);
      continue;
    }
    try {
      return await entry.factory(options);
    } catch (err) {
      failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new BackendError(`no backend could start:\n  ${failures.join('\n  ')}`);
}

import type { Backend, Executable, Graph, WeightMap } from '@xlora/core';

interface Entry {
  /** resolves once the backend compiled the graph (concurrent callers of one key share the compile) */
  ready: Promise<Executable>;
  /** calls holding it; it is never disposed while this is > 0 */
  users: number;
  /** dispose as soon as no call holds it (set by clear() while calls hold it) */
  retired: boolean;
}

/**
 * Compiled step graphs shared by concurrent calls. Each call takes what it runs through a lease and keeps it until
 * the call ends, so nothing a call is running is ever disposed: eviction beyond `max` (least recently used first)
 * and `clear()` dispose only executables no call holds, and retire the others until their last user ends.
 */
export class ExecutableCache {
  private readonly entries = new Map<string, Entry>(); // least recently used first

  constructor(private readonly backend: Backend, private readonly max: number) {}

  /** A lease for one call: `get` compiles or reuses, `end` gives everything back. */
  lease(): ExecutableLease {
    return new ExecutableLease(this);
  }

  /** Executables compiled now (in use or idle), for tests and diagnostics. */
  get size(): number {
    return this.entries.size;
  }

  /** Disposes every idle executable; those in use go as soon as their calls end. */
  clear(): void {
    for (const [key, e] of [...this.entries]) {
      this.entries.delete(key);
      e.retired = true;
      if (e.users === 0) void this.disposeEntry(e);
    }
  }

  /** @internal (ExecutableLease) */
  acquire(key: string, build: () => { graph: Graph; weights: WeightMap }): { entry: Entry; exe: Promise<Executable> } {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key); // re-insert: most recently used last
    } else {
      const { graph, weights } = build();
      entry = { ready: this.backend.compile(graph, weights), users: 0, retired: false };
      const failed = entry;
      entry.ready.catch(() => { if (this.entries.get(key) === failed) this.entries.delete(key); });
    }
    entry.users++;
    this.entries.set(key, entry);
    this.evict();
    return { entry, exe: entry.ready };
  }

  /** @internal (ExecutableLease) */
  release(entry: Entry): void {
    entry.users--;
    if (entry.users === 0 && entry.retired) void this.disposeEntry(entry);
    else this.evict();
  }

  /** Keeps at most `max` executables, disposing idle ones (least recently used first); those in use stay. */
  private evict(): void {
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.max) break;
      if (e.users > 0) continue;
      this.entries.delete(key);
      void this.disposeEntry(e);
    }
  }

  private async disposeEntry(e: Entry): Promise<void> {
    e.retired = true;
    try {
      (await e.ready).dispose();
    } catch {
      // a failed compile has nothing to dispose; its caller got the error
    }
  }
}

/** The executables one call uses, each acquired once and held until `end()`. */
export class ExecutableLease {
  private readonly held = new Map<string, { entry: Entry; exe: Promise<Executable> }>();

  constructor(private readonly cache: ExecutableCache) {}

  get(key: string, build: () => { graph: Graph; weights: WeightMap }): Promise<Executable> {
    let h = this.held.get(key);
    if (!h) {
      h = this.cache.acquire(key, build);
      this.held.set(key, h);
    }
    return h.exe;
  }

  end(): void {
    for (const h of this.held.values()) this.cache.release(h.entry);
    this.held.clear();
  }
}

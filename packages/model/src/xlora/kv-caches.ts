import { f32, type Backend, type DeviceTensor, type Feed } from '@xlora/core';
import type { BaseModelConfig } from '@xlora/config';
import type { KvCacheLayout } from '../architectures/architecture.js';
import { cacheNames } from '../architectures/cache-names.js';
import { architectureOf } from '../architectures/registry.js';

/** The cache layout of a config's architecture (a layout passes through). */
export function kvCacheLayout(of: BaseModelConfig | KvCacheLayout): KvCacheLayout {
  return 'architecture' in of ? architectureOf(of).kvCache(of) : of;
}

/**
 * The KV caches of every pass a step graph runs (X-LoRA: scaling pass and real pass), kept on the backend
 * between steps. `feeds()` gives the past caches; `advance()` swaps in the step's present caches.
 */
export class KvCaches {
  private tensors = new Map<string, Feed>();
  private readonly layout: KvCacheLayout;

  /** `of`: the model's config (its architecture's cache layout) or a layout */
  constructor(private readonly backend: Backend, of: BaseModelConfig | KvCacheLayout, readonly passes: readonly string[], batch: number) {
    this.layout = kvCacheLayout(of);
    const empty = f32([batch, this.layout.kvHeads, 0, this.layout.headDim]); // [B, nKv, 0, hd]
    for (const pass of passes) {
      for (let l = 0; l < this.layout.layers; l++) {
        const n = cacheNames(pass, l);
        this.tensors.set(n.pastKey, empty);
        this.tensors.set(n.pastValue, empty);
      }
    }
  }

  /** Past caches of `passes` (default: all) as feeds. */
  feeds(passes: readonly string[] = this.passes): Record<string, Feed> {
    const out: Record<string, Feed> = {};
    for (const pass of passes) {
      for (let l = 0; l < this.layout.layers; l++) {
        const n = cacheNames(pass, l);
        out[n.pastKey] = this.tensors.get(n.pastKey)!;
        out[n.pastValue] = this.tensors.get(n.pastValue)!;
      }
    }
    return out;
  }

  /** Names of the step outputs to request. */
  presentNames(passes: readonly string[] = this.passes): string[] {
    const names: string[] = [];
    for (const pass of passes) {
      for (let l = 0; l < this.layout.layers; l++) {
        const n = cacheNames(pass, l);
        names.push(n.presentKey, n.presentValue);
      }
    }
    return names;
  }

  /**
   * Takes the step's present caches of `passes`; a pass left out (the scaling pass once scalings are frozen)
   * keeps its cache as it was and is not used again.
   */
  advance(outputs: Record<string, DeviceTensor>, passes: readonly string[] = this.passes): void {
    for (const pass of passes) {
      for (let l = 0; l < this.layout.layers; l++) {
        const n = cacheNames(pass, l);
        this.replace(n.pastKey, outputs[n.presentKey]);
        this.replace(n.pastValue, outputs[n.presentValue]);
      }
    }
  }

  dispose(): void {
    for (const t of this.tensors.values()) if ('backend' in t) this.backend.release(t);
    this.tensors.clear();
  }

  private replace(name: string, next: DeviceTensor): void {
    const old = this.tensors.get(name);
    if (old && 'backend' in old && old !== next) this.backend.release(old);
    this.tensors.set(name, next);
  }
}

import pc from 'picocolors';
import type { HostTensor } from '@xlora/core';

const PALETTE = [pc.cyan, pc.magenta, pc.yellow, pc.green, pc.blue, pc.red];

/** Short expert names from the checkpoint's adapter paths ("experts/prose" → "prose"). */
export function expertNames(adapters: Record<string, string>): string[] {
  return Object.values(adapters).map((p) => p.replace(/\/+$/, '').split('/').pop() || p);
}

/** Mean over layers of one position's scalings: [C]. scalings [B,S,L,C]. */
export function meanOverLayers(scalings: HostTensor, batch: number, position: number): number[] {
  const [, seq, layers, experts] = scalings.shape;
  const out = new Array<number>(experts).fill(0);
  const base = (batch * seq + position) * layers * experts;
  for (let l = 0; l < layers; l++) for (let c = 0; c < experts; c++) out[c] += scalings.data[base + l * experts + c] / layers;
  return out;
}

export function leader(weights: readonly number[]): number {
  return weights.reduce((best, w, i) => (w > weights[best] ? i : best), 0);
}

export function colorFor(expert: number): (s: string) => string {
  return PALETTE[expert % PALETTE.length];
}

/** Makes control characters visible so one token stays one cell. */
export function printable(text: string): string {
  return text.replace(/\n/g, '⏎').replace(/\t/g, '⇥').replace(/[\x00-\x1f]/g, '·');
}

/** A one-line bar of expert weights, e.g. "prose ████▌ 0.62  code █▊ 0.25  math ▊ 0.13". */
export function weightBars(weights: readonly number[], names: readonly string[], width = 10): string {
  return weights.map((w, i) => {
    const cells = Math.max(0, Math.min(width, Math.round(Math.abs(w) * width)));
    return colorFor(i)(`${names[i]} ${'█'.repeat(cells)}${' '.repeat(width - cells)} ${w.toFixed(2)}`);
  }).join('  ');
}

export function legend(names: readonly string[]): string {
  return names.map((n, i) => colorFor(i)(`■ ${n}`)).join('  ');
}

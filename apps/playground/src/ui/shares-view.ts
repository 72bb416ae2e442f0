import type { ScalingsStore } from '../lib/scalings-store.js';
import { byId, expertColor, h } from './dom.js';

/** Per-expert share over the whole output: mean scaling as a bar, and how often the expert led. */
export function renderShares(store: ScalingsStore, experts: readonly string[]): void {
  const el = byId('shares');
  const { mean, leading, positions } = store.outputShares();
  if (positions === 0) {
    el.replaceChildren();
    return;
  }
  el.replaceChildren(
    h('div', { class: 'hint' }, `Expert share over the ${positions} generated token${positions === 1 ? '' : 's'} (mean scaling over layers; how often it led):`),
    ...experts.map((name, e) =>
      h('div', { class: 'share', 'data-expert': name },
        h('span', { class: 'share-name', style: `color:${expertColor(e)}` }, name),
        h('span', { class: 'share-track' }, h('span', { class: 'share-bar', style: `width:${(100 * mean[e]).toFixed(1)}%;background:${expertColor(e)}` })),
        h('span', { class: 'share-value' }, `${(100 * mean[e]).toFixed(1)}%`),
        h('span', { class: 'share-lead hint' }, `led ${(100 * leading[e]).toFixed(0)}%`),
      )),
  );
}

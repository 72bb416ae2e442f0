import { printableToken, scalingsMatrix, viridis } from '@xlora/scaling-logger';
import { saveBlob, svgToPng } from '../lib/download.js';
import type { ScalingsStore } from '../lib/scalings-store.js';
import { byId, h } from './dom.js';
import { heatmapSvg } from './heatmap-svg.js';

/** Live tokens × experts heatmap with a layer selector, hover readout and SVG / PNG export. */
export class HeatmapPanel {
  private readonly container = byId('heatmap');
  private readonly layerSelect = byId<HTMLSelectElement>('layer-select');
  private readonly readout = byId('hover-readout');
  private experts: string[] = [];
  private pending = false;

  constructor(private readonly store: ScalingsStore, onExportLog: (what: 'json' | 'npy') => void) {
    this.layerSelect.addEventListener('change', () => this.render());
    const stops = Array.from({ length: 11 }, (_, k) => viridis(k / 10)).join(', ');
    (byId('ramp').querySelector('i') as HTMLElement).style.background = `linear-gradient(to right, ${stops})`;
    this.container.addEventListener('mouseover', (ev) => this.hover(ev.target as Element));
    byId('export-svg').addEventListener('click', () => saveBlob('xlora-heatmap.svg', new Blob([this.svg()], { type: 'image/svg+xml' })));
    byId('export-png').addEventListener('click', () => void svgToPng(this.svg()).then((png) => saveBlob('xlora-heatmap.png', png)));
    byId('export-json').addEventListener('click', () => onExportLog('json'));
    byId('export-npy').addEventListener('click', () => onExportLog('npy'));
  }

  /** A new model: its expert names and one layer option per LoRA-wrapped module (when the scalings are layerwise). */
  useModel(experts: string[], layers: string[], layerwise: boolean): void {
    this.experts = experts;
    this.layerSelect.replaceChildren(h('option', { value: 'mean' }, layerwise ? `mean over ${layers.length} layers` : 'all layers (shared scalings)'));
    if (layerwise) layers.forEach((name, i) => this.layerSelect.append(h('option', { value: String(i) }, `${i}: ${name}`)));
    this.layerSelect.disabled = !layerwise;
    this.container.replaceChildren();
  }

  /** Calls `fn` when the reader picks another layer (the train panel's heatmaps follow it). */
  onLayerChange(fn: () => void): void {
    this.layerSelect.addEventListener('change', fn);
  }

  get layer(): number | 'mean' {
    return this.layerSelect.value === 'mean' ? 'mean' : Number(this.layerSelect.value);
  }

  /** Redraws on the next frame (tokens can arrive faster than the screen refreshes). */
  scheduleRender(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  enableExports(on: boolean): void {
    for (const id of ['export-json', 'export-npy', 'export-svg', 'export-png']) byId<HTMLButtonElement>(id).disabled = !on;
  }

  /** The heatmap as a standalone SVG (exports carry a title; the page has its own heading). */
  svg({ title = true } = {}): string {
    return heatmapSvg(this.store.tensor(), {
      layer: this.layer,
      pieces: this.store.pieces,
      experts: this.experts,
      promptLength: this.store.promptLength,
      title: title ? 'X-LoRA scalings per token' : undefined,
    });
  }

  /** A new generation: draw the prompt rows from the top. */
  startGeneration(): void {
    this.render();
    this.container.scrollTop = 0;
  }

  render(): void {
    if (this.store.numRows === 0) {
      this.container.replaceChildren();
      return;
    }
    // follow the newest token only when the reader has scrolled down to it
    const c = this.container;
    const following = c.scrollHeight > c.clientHeight && c.scrollTop + c.clientHeight >= c.scrollHeight - 24;
    c.innerHTML = this.svg({ title: false });
    this.addStickyHeader();
    if (following) c.scrollTop = c.scrollHeight;
  }

  /** Keeps the expert names visible while the token rows scroll: a copy of the SVG's header in a sticky strip. */
  private addStickyHeader(): void {
    const svg = this.container.querySelector('svg');
    const names = svg?.querySelector('g.experts');
    const firstCell = svg?.querySelector('rect.cell');
    if (!svg || !names || !firstCell) return;
    const height = firstCell.getAttribute('y');
    const strip = h('div', { class: 'heat-sticky', 'aria-hidden': 'true' });
    strip.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg" width="${svg.getAttribute('width')}" height="${height}" ` +
      `font-family="${svg.getAttribute('font-family')}" font-size="${svg.getAttribute('font-size')}">` +
      `<rect width="100%" height="100%" fill="#fff"/>${names.outerHTML}</svg>`;
    this.container.prepend(strip);
  }

  private hover(target: Element): void {
    const cell = target.closest('.cell') as SVGElement | null;
    if (!cell) return;
    const row = Number(cell.dataset.row);
    const m = scalingsMatrix(this.store.tensor(), 0, this.layer);
    const values = this.experts.map((name, e) => `${name} ${m.values[row * m.cols + e].toFixed(4)}`).join(' · ');
    const where = row < this.store.promptLength ? 'prompt' : 'generated';
    const layer = this.layer === 'mean' ? 'mean over layers' : this.layerSelect.selectedOptions[0]?.textContent;
    this.readout.textContent = `position ${row} (${where}) “${printableToken(this.store.pieces[row] ?? '')}” → ${values}  [${layer}]`;
  }
}

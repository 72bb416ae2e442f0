import type { ScalingsTensor } from './scalings-tensor.js';

export interface HeatmapSvgOptions {
  /** batch row to draw (default 0) */
  batch?: number;
  /** X-LoRA layer to draw, or 'mean' over all layers (default 'mean') */
  layer?: number | 'mean';
  /** one label per sequence position (decoded tokens); default "#<position>" */
  tokens?: readonly string[];
  /** one name per expert; default "expert <i>" */
  experts?: readonly string[];
  /** row height in px (default 16); columns are at least this wide and wide enough for the expert names */
  cellSize?: number;
  /** minimum column width in px (default: cellSize) */
  columnWidth?: number;
  /** heading drawn above the map */
  title?: string;
  /** draws a divider after this many rows (e.g. the prompt length) */
  promptLength?: number;
}

/** Values of one batch row at one layer (or the mean over layers): [S][C] flattened, S rows, C columns. */
export interface ScalingsMatrix {
  rows: number;
  cols: number;
  /** row-major [rows, cols] */
  values: Float32Array;
}

/** Picks batch `batch` and `layer` (or the mean over layers) out of [B,S,L,C] scalings. */
export function scalingsMatrix(scalings: ScalingsTensor, batch = 0, layer: number | 'mean' = 'mean'): ScalingsMatrix {
  if (scalings.shape.length !== 4) throw new RangeError(`scalings must be [batch, seq, layers, experts], got shape [${scalings.shape}]`);
  const [b, s, l, c] = scalings.shape;
  if (scalings.data.length !== b * s * l * c) throw new RangeError(`scalings of shape [${scalings.shape}] need ${b * s * l * c} values, got ${scalings.data.length}`);
  if (!(Number.isInteger(batch) && batch >= 0 && batch < b)) throw new RangeError(`batch ${batch} is out of range (the scalings have ${b})`);
  if (layer !== 'mean' && !(Number.isInteger(layer) && layer >= 0 && layer < l)) {
    throw new RangeError(`layer ${layer} is out of range (the scalings have ${l} layers; use 0..${l - 1} or 'mean')`);
  }
  const values = new Float32Array(s * c);
  for (let p = 0; p < s; p++) {
    const base = (batch * s + p) * l * c;
    for (let e = 0; e < c; e++) {
      if (layer === 'mean') {
        let sum = 0;
        for (let k = 0; k < l; k++) sum += scalings.data[base + k * c + e];
        values[p * c + e] = sum / l;
      } else {
        values[p * c + e] = scalings.data[base + layer * c + e];
      }
    }
  }
  return { rows: s, cols: c, values };
}

// Viridis (matplotlib), 9 evenly spaced samples; perceptually uniform and readable in greyscale.
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** The viridis colour of t in [0, 1] (clamped) as "#rrggbb". */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const rgb = VIRIDIS[i].map((v, k) => Math.round(v + (VIRIDIS[i + 1][k] - v) * f));
  return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** Escapes text for XML content and attribute values; drops characters XML 1.0 cannot hold. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Makes whitespace and control characters of a token visible, so that every token is one readable label. */
export function printableToken(token: string): string {
  return token
    .replace(/\n/g, '⏎')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '⇥')
    .replace(/ /g, '␣')
    .replace(/[\u0000-\u001f\u007f]/g, '·');
}

const truncate = (s: string, max: number): string => ([...s].length > max ? `${[...s].slice(0, max - 1).join('')}…` : s);
const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : String(v));
const num = (v: number): string => String(Math.round(v * 100) / 100);

/**
 * A standalone SVG heatmap of X-LoRA scalings: one row per token, one column per expert, viridis colour by weight,
 * token labels on the left, expert names on top, a colour legend, and a <title> (hover text) with the value on
 * every cell. Needs no DOM. Cells carry data-row / data-col / data-value attributes for pages that add their own
 * hover handling.
 */
export function renderScalingsHeatmapSvg(scalings: ScalingsTensor, opts: HeatmapSvgOptions = {}): string {
  const layer = opts.layer ?? 'mean';
  const { rows, cols, values } = scalingsMatrix(scalings, opts.batch ?? 0, layer);
  const cell = Math.max(6, opts.cellSize ?? 16);
  const font = Math.max(8, Math.min(14, Math.round(cell * 0.72)));
  const charW = font * 0.62;
  const tokenLabels = Array.from({ length: rows }, (_, i) => truncate(printableToken(opts.tokens?.[i] ?? `#${i}`), 14));
  const expertNames = Array.from({ length: cols }, (_, e) => truncate(opts.experts?.[e] ?? `expert ${e}`, 16));

  let lo = 0, hi = 1;
  for (const v of values) if (Number.isFinite(v)) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const norm = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0);

  const pad = 8;
  const posW = String(Math.max(0, rows - 1)).length * charW + 6;
  const labelW = Math.ceil(posW + Math.max(2, ...tokenLabels.map((t) => [...t].length)) * charW + 8);
  const colW = Math.ceil(Math.max(cell, opts.columnWidth ?? 0, Math.max(...expertNames.map((n) => n.length), 1) * charW + 8));
  const titleH = opts.title ? font + 10 : 0;
  const headerH = font + 8;
  const x0 = pad + labelW;
  const y0 = pad + titleH + headerH;
  const gridW = cols * colW;
  const gridH = rows * cell;
  const legendX = x0 + gridW + 16;
  const legendH = Math.max(60, Math.min(200, gridH));
  const legendW = 12;
  const tickW = 5 * charW + 6;
  const layerText = layer === 'mean' ? `mean over ${scalings.shape[2]} layers` : `layer ${layer}`;
  const titleW = opts.title ? ([...opts.title].length + layerText.length + 3) * charW : 0;
  const width = Math.ceil(Math.max(legendX + legendW + tickW, pad + titleW) + pad);
  const height = Math.ceil(Math.max(y0 + gridH, pad + titleH + headerH + legendH + font) + pad);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="ui-monospace, Menlo, Consolas, monospace" font-size="${font}" role="img" class="xlora-heatmap" ` +
      `data-rows="${rows}" data-cols="${cols}">`,
  );
  out.push(`<title>${escapeXml(`${opts.title ? `${opts.title}: ` : ''}X-LoRA scalings, ${rows} tokens × ${cols} experts, ${layerText}`)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (opts.title) {
    out.push(`<text x="${pad}" y="${pad + font}" fill="#111"><tspan font-weight="bold">${escapeXml(opts.title)}</tspan>` +
      `<tspan fill="#777"> · ${escapeXml(layerText)}</tspan></text>`);
  }

  // expert names on top
  out.push(`<g class="experts" fill="#222" text-anchor="middle">`);
  expertNames.forEach((n, e) => out.push(`<text x="${num(x0 + e * colW + colW / 2)}" y="${num(y0 - 6)}">${escapeXml(n)}</text>`));
  out.push(`</g>`);

  // token labels on the left: position (grey) and token
  out.push(`<g class="tokens" fill="#222">`);
  tokenLabels.forEach((t, i) => {
    const y = num(y0 + i * cell + cell / 2 + font * 0.35);
    out.push(`<text x="${num(pad + posW - 6)}" y="${y}" text-anchor="end" fill="#888">${i}</text><text x="${num(pad + posW)}" y="${y}">${escapeXml(t)}</text>`);
  });
  out.push(`</g>`);

  // cells
  out.push(`<g class="cells">`);
  for (let i = 0; i < rows; i++) {
    const token = opts.tokens?.[i] ?? `#${i}`;
    for (let e = 0; e < cols; e++) {
      const v = values[i * cols + e];
      const tip = `${printableToken(token)} (position ${i}) · ${opts.experts?.[e] ?? `expert ${e}`}: ${fmt(v)}`;
      out.push(
        `<rect class="cell" x="${num(x0 + e * colW)}" y="${num(y0 + i * cell)}" width="${colW}" height="${cell}" ` +
          `fill="${viridis(norm(v))}" data-row="${i}" data-col="${e}" data-value="${fmt(v)}"><title>${escapeXml(tip)}</title></rect>`,
      );
    }
  }
  out.push(`</g>`);
  if (opts.promptLength !== undefined && opts.promptLength > 0 && opts.promptLength < rows) {
    const y = num(y0 + opts.promptLength * cell);
    out.push(`<line class="prompt-end" x1="${pad}" x2="${x0 + gridW}" y1="${y}" y2="${y}" stroke="#e4572e" stroke-width="2"/>`);
  }

  // legend: vertical ramp, high at the top
  const stops = Array.from({ length: 11 }, (_, k) => `<stop offset="${k * 10}%" stop-color="${viridis(1 - k / 10)}"/>`).join('');
  out.push(`<defs><linearGradient id="xlora-heatmap-ramp" x1="0" y1="0" x2="0" y2="1">${stops}</linearGradient></defs>`);
  out.push(`<g class="legend"><rect x="${legendX}" y="${y0}" width="${legendW}" height="${legendH}" fill="url(#xlora-heatmap-ramp)" stroke="#999" stroke-width="0.5"/>`);
  for (const [frac, v] of [[0, hi], [0.5, (lo + hi) / 2], [1, lo]] as const) {
    out.push(`<text x="${legendX + legendW + 4}" y="${num(y0 + frac * legendH + font * 0.35)}" fill="#222">${escapeXml(num(v))}</text>`);
  }
  out.push(`</g>`);
  out.push(`</svg>`);
  return out.join('');
}

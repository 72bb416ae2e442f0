/** The train panel's live loss curve: a small standalone SVG line plot (no plotting dependency). */

const W = 360;
const H = 140;
const PAD = { left: 44, right: 10, top: 10, bottom: 24 };

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

/** Losses by step (1-based on the x axis); the y axis spans [min, max] of the values. */
export function lossPlotSvg(losses: readonly number[]): string {
  const n = losses.length;
  const lo = n ? Math.min(...losses) : 0;
  const hi = n ? Math.max(...losses) : 1;
  const span = hi - lo || Math.max(Math.abs(hi), 1) * 0.1;
  const x = (i: number) => PAD.left + (n > 1 ? (i / (n - 1)) * (W - PAD.left - PAD.right) : 0);
  const y = (v: number) => PAD.top + (1 - (v - lo) / span) * (H - PAD.top - PAD.bottom);
  const points = losses.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const last = n ? `<circle cx="${x(n - 1).toFixed(1)}" cy="${y(losses[n - 1]).toFixed(1)}" r="3" fill="#d62728"/>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="10" data-points="${n}" role="img" aria-label="training loss by step">`
    + `<rect width="${W}" height="${H}" fill="#fff"/>`
    + `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#999"/>`
    + `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#999"/>`
    + `<text x="${PAD.left - 4}" y="${PAD.top + 4}" text-anchor="end">${n ? fmt(hi) : ''}</text>`
    + `<text x="${PAD.left - 4}" y="${H - PAD.bottom}" text-anchor="end">${n ? fmt(lo) : ''}</text>`
    + `<text x="${PAD.left}" y="${H - 8}">step 1</text>`
    + `<text x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${n ? `step ${n}` : 'no steps yet'}</text>`
    + `<text x="${(PAD.left + W) / 2}" y="${H - 8}" text-anchor="middle" fill="#555">loss</text>`
    + (n > 1 ? `<polyline class="loss" fill="none" stroke="#1f77b4" stroke-width="1.5" points="${points}"/>` : '')
    + last
    + '</svg>';
}

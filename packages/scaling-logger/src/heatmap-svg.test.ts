import { describe, expect, it } from 'vitest';
import { escapeXml, renderScalingsHeatmapSvg, scalingsMatrix, viridis } from './index.js';

// [B=2, S=3, L=2, C=3]: value = b*100 + s*10 + l + c/10
const shape = [2, 3, 2, 3];
const data = new Float32Array(36);
for (let b = 0; b < 2; b++) for (let s = 0; s < 3; s++) for (let l = 0; l < 2; l++) for (let c = 0; c < 3; c++) {
  data[((b * 3 + s) * 2 + l) * 3 + c] = (b * 100 + s * 10 + l + c / 10) / 1000;
}
const scalings = { shape, data };

const cells = (svg: string) => [...svg.matchAll(/<rect class="cell"[^>]*data-row="(\d+)" data-col="(\d+)" data-value="([^"]+)"><title>([^<]*)<\/title><\/rect>/g)]
  .map((m) => ({ row: Number(m[1]), col: Number(m[2]), value: Number(m[3]), title: m[4] }));

describe('renderScalingsHeatmapSvg', () => {
  it('draws one row per token and one column per expert, with each value in the cell title', () => {
    const svg = renderScalingsHeatmapSvg(scalings, { layer: 1, experts: ['prose', 'code', 'math'], tokens: ['a', 'b', 'c'] });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('data-rows="3" data-cols="3"');
    const got = cells(svg);
    expect(got).toHaveLength(9);
    expect(new Set(got.map((c) => c.row))).toEqual(new Set([0, 1, 2]));
    expect(new Set(got.map((c) => c.col))).toEqual(new Set([0, 1, 2]));
    const c21 = got.find((c) => c.row === 2 && c.col === 1)!;
    expect(c21.value).toBeCloseTo((20 + 1 + 0.1) / 1000, 6);
    expect(c21.title).toBe(`c (position 2) · code: ${((20 + 1 + 0.1) / 1000).toFixed(4)}`);
    for (const name of ['prose', 'code', 'math']) expect(svg).toContain(`>${name}</text>`);
  });

  it('averages over layers by default and selects the batch row', () => {
    const m = scalingsMatrix(scalings, 1, 'mean');
    expect(m.rows).toBe(3);
    expect(m.cols).toBe(3);
    expect(m.values[1 * 3 + 2]).toBeCloseTo((100 + 10 + 0.5 + 0.2) / 1000, 6);
    const svg = renderScalingsHeatmapSvg(scalings, { batch: 1 });
    expect(cells(svg).find((c) => c.row === 1 && c.col === 2)!.value).toBeCloseTo(m.values[5], 4);
    expect(svg).toContain('mean over 2 layers');
    expect(svg).toContain('>expert 0</text>');
  });

  it('escapes XML in tokens, expert names and the title, and makes whitespace visible', () => {
    const svg = renderScalingsHeatmapSvg(scalings, { tokens: ['<b>', '&', '\n'], experts: ['"q"', "it's", 'a<b'], title: 'x & <y>' });
    expect(svg).not.toMatch(/<b>|<y>|"q"/);
    expect(svg).toContain('&lt;b&gt;');
    expect(svg).toContain('&amp;');
    expect(svg).toContain('&quot;q&quot;');
    expect(svg).toContain('it&apos;s');
    expect(svg).toContain('x &amp; &lt;y&gt;');
    expect(svg).toContain('⏎');
    // well-formed: every element opened is closed (a rough check without an XML parser)
    const opened = (svg.match(/<(?!\/)[a-zA-Z][^>]*[^/]>/g) ?? []).length;
    const closed = (svg.match(/<\/[a-zA-Z]+>/g) ?? []).length;
    expect(opened).toBe(closed);
  });

  it('drops characters XML cannot hold and rejects bad shapes and layers', () => {
    expect(escapeXml('a\u0001b\ud800c')).toBe('abc');
    expect(escapeXml('😀')).toBe('😀');
    expect(() => renderScalingsHeatmapSvg({ shape: [1, 2, 3], data: new Float32Array(6) })).toThrow(/batch, seq, layers, experts/);
    expect(() => renderScalingsHeatmapSvg(scalings, { layer: 2 })).toThrow(/layer 2 is out of range/);
    expect(() => renderScalingsHeatmapSvg(scalings, { batch: 2 })).toThrow(/batch 2 is out of range/);
  });

  it('uses the viridis ramp', () => {
    expect(viridis(0)).toBe('#440154');
    expect(viridis(1)).toBe('#fde725');
    expect(viridis(2)).toBe('#fde725');
    expect(viridis(Number.NaN)).toBe('#440154');
  });
});

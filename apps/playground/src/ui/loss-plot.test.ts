import { describe, expect, it } from 'vitest';
import { lossPlotSvg } from './loss-plot.js';

const points = (svg: string) => svg.match(/<polyline[^>]* points="([^"]*)"/)![1].split(' ').map((p) => p.split(',').map(Number));

describe('lossPlotSvg', () => {
  it('puts the highest loss at the top of the plot area and the lowest at the bottom, one point per step', () => {
    const svg = lossPlotSvg([3, 2, 1]);
    expect(svg).toContain('data-points="3"');
    const p = points(svg);
    expect(p).toHaveLength(3);
    // plot area: x 44..350, y 10..116 (140 high, 10 top, 24 bottom padding)
    expect(p[0]).toEqual([44, 10]);
    expect(p[1]).toEqual([197, 63]);
    expect(p[2]).toEqual([350, 116]);
    expect(svg).toContain('>step 3<');
  });

  it('draws an empty frame before the first step and no line for a single point', () => {
    expect(lossPlotSvg([])).toContain('no steps yet');
    expect(lossPlotSvg([2.5])).not.toContain('<polyline');
    expect(lossPlotSvg([2.5])).toContain('<circle');
  });
});

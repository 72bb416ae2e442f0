import { renderScalingsHeatmapSvg, type ScalingsTensor } from '@xlora/scaling-logger';

export interface HeatmapView {
  layer: number | 'mean';
  pieces: string[];
  experts: string[];
  /** rows before the red line */
  promptLength: number;
  title?: string;
}

/** The playground's tokens × experts heatmap SVG (the scalings panel and the train panel's before/after draw the same). */
export function heatmapSvg(tensor: ScalingsTensor, view: HeatmapView): string {
  return renderScalingsHeatmapSvg(tensor, {
    layer: view.layer, tokens: view.pieces, experts: view.experts, cellSize: 15, columnWidth: 58,
    promptLength: view.promptLength, title: view.title,
  });
}

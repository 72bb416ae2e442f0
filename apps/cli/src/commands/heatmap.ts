import { readFile, writeFile } from 'node:fs/promises';
import { InputError } from '@xlora/core';
import { renderScalingsHeatmapSvg, scalingsLogFromJson } from '@xlora/scaling-logger';
import { fromUser } from '../lib/paths.js';

export interface HeatmapArgs {
  log: string;
  out: string;
  entry?: number;
  layer?: string;
  batch?: number;
}

/** xlora heatmap: a scalings log (from `generate --scalings-out`) → SVG heatmap (tokens × experts). */
export async function heatmapCommand(args: HeatmapArgs): Promise<void> {
  const path = fromUser(args.log);
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new InputError(`${path}: cannot read the scalings log (${err.message})`);
  });
  let log;
  let meta: { experts?: string[]; tokens?: string[][]; promptLength?: number } = {};
  try {
    log = scalingsLogFromJson(text);
    meta = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: ${(err as Error).message}`);
  }
  if (log.length === 0) throw new InputError(`${path}: the scalings log is empty`);
  const index = args.entry ?? log.length - 1;
  if (!(index >= 0 && index < log.length)) throw new InputError(`--entry must be in 0..${log.length - 1}, got ${index}`);
  const entry = log[index];
  const layer = args.layer === undefined || args.layer === 'mean' ? 'mean' : Number(args.layer);
  if (layer !== 'mean' && !(Number.isInteger(layer) && layer >= 0 && layer < entry.shape[2])) {
    throw new InputError(`--layer must be "mean" or 0..${entry.shape[2] - 1}, got ${args.layer}`);
  }
  const batch = args.batch ?? 0;
  const svg = renderScalingsHeatmapSvg(entry, {
    batch, layer, experts: meta.experts, tokens: meta.tokens?.[batch]?.slice(0, entry.shape[1]), promptLength: meta.promptLength,
    title: `X-LoRA scalings, ${layer === 'mean' ? 'mean over layers' : `layer ${layer}`} (log entry ${index})`,
  });
  await writeFile(fromUser(args.out), svg);
  process.stderr.write(`wrote ${args.out}: ${entry.shape[1]} tokens × ${entry.shape[3]} experts\n`);
}

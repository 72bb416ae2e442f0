/** One row of the benchmark report. */
export interface BenchRow {
  backend: string;
  device: string;
  mode: string;
  promptTokens: number;
  newTokens: number;
  loadMs: number;
  timeToFirstTokenMs: number;
  prefillTokensPerS: number;
  decodeTokensPerS: number;
  decodeMsPerToken: number;
  peakRssMB: number;
  /** GPU backends: compute dispatches of the last decode step */
  dispatchesPerDecodeToken?: number;
}

export interface BenchReport {
  preset: string;
  model: Record<string, unknown>;
  machine: { cpus: number; node: string; date: string };
  rows: BenchRow[];
  /** per backend: weight bytes (f32) and the host bytes the loaded model's tensors hold (XLoraModel.hostTensorBytes) */
  memory: Record<string, { weightMB: number; hostTensorMBAfterLoad: number }>;
  ratios: Record<string, Record<string, number>>;
}

/** The three target ratios per backend (see issue: decode time per token relative to the base model). */
export function targetRatios(rows: readonly BenchRow[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const backend of new Set(rows.map((r) => r.backend))) {
    const ms = (mode: string) => rows.find((r) => r.backend === backend && r.mode.split(' ')[0] === mode)?.decodeMsPerToken;
    const base = ms('base'), x = ms('xlora'), frozen = ms('xlora-frozen'), recompute = ms('xlora-recompute');
    out[backend] = {};
    if (base && x) out[backend]['xlora / base (target <= 2.3)'] = x / base;
    if (base && frozen) out[backend]['xlora-frozen / base (target <= 1.2)'] = frozen / base;
    if (x && recompute) out[backend]['xlora-recompute / xlora (target >= 10)'] = recompute / x;
  }
  return out;
}

export function toMarkdown(report: BenchReport): string {
  const lines = [
    `# X-LoRA benchmark: preset ${report.preset}`,
    '',
    `model: ${JSON.stringify(report.model)}`,
    `machine: ${report.machine.cpus} CPUs, Node ${report.machine.node}, ${report.machine.date}`,
    '',
    '| backend | mode | load ms | TTFT ms | prefill tok/s | decode tok/s | decode ms/token | dispatches/token | peak RSS MB |',
    '|---|---|---|---|---|---|---|---|---|',
    ...report.rows.map((r) => `| ${r.backend} | ${r.mode} | ${r.loadMs.toFixed(0)} | ${r.timeToFirstTokenMs.toFixed(1)} | ${r.prefillTokensPerS.toFixed(1)} | ${r.decodeTokensPerS.toFixed(2)} | ${r.decodeMsPerToken.toFixed(2)} | ${r.dispatchesPerDecodeToken ?? '–'} | ${r.peakRssMB.toFixed(0)} |`),
    '',
    '## Memory after loading',
    '',
    '| backend | weights MB | host tensors MB | ratio |',
    '|---|---|---|---|',
    ...Object.entries(report.memory).map(([b, m]) => `| ${b} | ${m.weightMB.toFixed(0)} | ${m.hostTensorMBAfterLoad.toFixed(0)} | ${(m.hostTensorMBAfterLoad / m.weightMB).toFixed(2)} |`),
    '',
    '## Target ratios (decode time per token)',
    '',
    '| backend | ratio | value |',
    '|---|---|---|',
    ...Object.entries(report.ratios).flatMap(([b, rs]) => Object.entries(rs).map(([k, v]) => `| ${b} | ${k} | ${v.toFixed(2)} |`)),
    '',
  ];
  return lines.join('\n');
}

import { RUNTIME_ALLOWANCE_MB } from './flags.js';

/** One row of the benchmark report: one (model, format, runtime, mode). */
export interface BenchRow {
  preset: string;
  format: string;
  backend: string;
  device: string;
  mode: string;
  promptTokens: number;
  newTokens: number;
  /** bytes of the weight files this mode reads: the base, plus experts and classifier for X-LoRA modes */
  diskMB: number;
  loadS: number;
  timeToFirstTokenMs: number;
  prefillTokensPerS: number;
  decodeTokensPerS: number;
  decodeMsPerToken: number;
  /** the child process's VmHWM after this mode (its modes run base first, so an X-LoRA row includes the base run) */
  peakRssMB: number;
  /** KV caches at the end of the run (f32 per pass for ours; llama.cpp: its F16 cache of the whole context) */
  kvMB: number;
  /** peakRss / (disk + KV + RUNTIME_ALLOWANCE_MB) — target ≤ 1.3 */
  memoryRatio: number;
  /** GPU backends: compute dispatches of the last decode step */
  dispatchesPerDecodeToken?: number;
  notes?: string[];
}

export { RUNTIME_ALLOWANCE_MB };

export function memoryRatio(peakRssMB: number, diskMB: number, kvMB: number): number {
  return peakRssMB / (diskMB + kvMB + RUNTIME_ALLOWANCE_MB);
}

/** A row that could not run, with why. */
export interface SkippedRun {
  preset: string;
  format: string;
  backend: string;
  reason: string;
}

export interface BenchReport {
  command: string;
  machine: { cpus: number; node: string; date: string };
  ortThreads: number;
  llamaCppThreads: number;
  rows: BenchRow[];
  skipped: SkippedRun[];
  ratios: Record<string, Record<string, number>>;
}

/** The three target ratios per backend (see issue: decode time per token relative to the base model). */
export function targetRatios(rows: readonly Pick<BenchRow, 'backend' | 'mode' | 'decodeMsPerToken'>[]): Record<string, Record<string, number>> {
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

const LLAMA = /^llama\.cpp/;

/**
 * Against llama.cpp's base decode on the same file (issue 10's speed targets): our best base decode ≥ 80% of it,
 * our best X-LoRA decode ≥ 40% of it. One entry per (preset, format) that has a llama.cpp row.
 */
export function llamaCppRatios(rows: readonly BenchRow[]): { preset: string; format: string; llamaTokS: number; baseTokS?: number; baseBackend?: string; xloraTokS?: number; xloraBackend?: string }[] {
  const out = [];
  for (const ref of rows.filter((r) => LLAMA.test(r.backend))) {
    const ours = rows.filter((r) => r.preset === ref.preset && r.format === ref.format && !LLAMA.test(r.backend));
    const best = (mode: string) => ours.filter((r) => r.mode === mode).sort((a, b) => b.decodeTokensPerS - a.decodeTokensPerS)[0];
    const base = best('base'), x = best('xlora');
    out.push({
      preset: ref.preset, format: ref.format, llamaTokS: ref.decodeTokensPerS,
      ...(base ? { baseTokS: base.decodeTokensPerS, baseBackend: base.backend } : {}),
      ...(x ? { xloraTokS: x.decodeTokensPerS, xloraBackend: x.backend } : {}),
    });
  }
  return out;
}

const f = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

export function toMarkdown(report: BenchReport): string {
  const lines = [
    '# X-LoRA benchmark',
    '',
    `command: \`${report.command}\``,
    `machine: ${report.machine.cpus} CPUs, Node ${report.machine.node}, ${report.machine.date}; ORT intra-op threads ${report.ortThreads}, llama.cpp threads ${report.llamaCppThreads}`,
    '',
    `memory ratio = peak RSS / (weight bytes on disk + KV caches + ${RUNTIME_ALLOWANCE_MB} MB); target ≤ 1.3. Peak RSS is the VmHWM of the child process that ran the (model, format, backend), read after each mode (base runs first).`,
    '',
    '| preset | format | backend | mode | disk MB | load s | prefill tok/s | decode tok/s | ms/token | peak RSS MB | KV MB | mem ratio | dispatches/token |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.rows.map((r) => `| ${r.preset} | ${r.format} | ${r.backend} | ${r.mode} | ${f(r.diskMB, 0)} | ${f(r.loadS, 1)} | ${f(r.prefillTokensPerS, 1)} | ${f(r.decodeTokensPerS, 2)} | ${f(r.decodeMsPerToken, 1)} | ${f(r.peakRssMB, 0)} | ${f(r.kvMB, 1)} | ${f(r.memoryRatio, 2)} | ${r.dispatchesPerDecodeToken ?? '–'} |`),
    '',
  ];
  const vs = llamaCppRatios(report.rows);
  if (vs.length > 0) {
    lines.push('## Against llama.cpp (base decode on the same GGUF)', '',
      '| preset | format | llama.cpp tok/s | our best base tok/s (backend) | base / llama.cpp (target ≥ 0.8) | our best X-LoRA tok/s (backend) | X-LoRA / llama.cpp base (target ≥ 0.4) |',
      '|---|---|---|---|---|---|---|',
      ...vs.map((v) => `| ${v.preset} | ${v.format} | ${f(v.llamaTokS, 1)} | ${v.baseTokS === undefined ? '–' : `${f(v.baseTokS, 1)} (${v.baseBackend})`} | ${v.baseTokS === undefined ? '–' : f(v.baseTokS / v.llamaTokS, 2)} | ${v.xloraTokS === undefined ? '–' : `${f(v.xloraTokS, 1)} (${v.xloraBackend})`} | ${v.xloraTokS === undefined ? '–' : f(v.xloraTokS / v.llamaTokS, 2)} |`),
      '');
  }
  const ratioRows = Object.entries(report.ratios).flatMap(([b, rs]) => Object.entries(rs).map(([k, v]) => `| ${b} | ${k} | ${v.toFixed(2)} |`));
  if (ratioRows.length > 0) lines.push('## Mode ratios (decode time per token)', '', '| run | ratio | value |', '|---|---|---|', ...ratioRows, '');
  const notes = [...new Set(report.rows.flatMap((r) => (r.notes ?? []).map((n) => `${r.preset} ${r.format} ${r.backend}: ${n}`)))];
  if (report.skipped.length > 0 || notes.length > 0) {
    lines.push('## Notes and skipped runs', '', ...report.skipped.map((s) => `- skipped ${s.preset} ${s.format} on ${s.backend}: ${s.reason}`), ...notes.map((n) => `- ${n}`), '');
  }
  return lines.join('\n');
}

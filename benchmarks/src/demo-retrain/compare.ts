import { readFile } from 'node:fs/promises';
import { InputError } from '@xlora/core';
import { DOMAINS } from './corpus.js';
import type { EvalOutput } from './eval-checkpoint.js';

/** Most eval outputs one table takes. */
export const MAX_COMPARED = 32;

/** An eval output read back, checked for the fields the tables use. */
export async function readEvalOutput(file: string): Promise<EvalOutput> {
  const text = await readFile(file, 'utf8').catch((err: Error) => { throw new InputError(`${file}: cannot read (${err.message})`); });
  let json: EvalOutput;
  try {
    json = JSON.parse(text) as EvalOutput;
  } catch (err) {
    throw new InputError(`${file}: not JSON (${(err as Error).message})`);
  }
  for (const d of DOMAINS) {
    const h = json.heldout?.[d];
    if (typeof h?.loss !== 'number' || !Array.isArray(h.argmaxShare) || h.argmaxShare.length !== DOMAINS.length) {
      throw new InputError(`${file}: heldout.${d} must hold loss and argmaxShare[${DOMAINS.length}] (an output of retrain-demo eval)`);
    }
  }
  const r = json.routingDemo;
  if (typeof r?.switches !== 'number' || !Array.isArray(r.segments) || typeof r.topString !== 'string') {
    throw new InputError(`${file}: routingDemo must hold switches, segments and topString (an output of retrain-demo eval)`);
  }
  return json;
}

const f3 = (x: number) => x.toFixed(3);
const triple = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(' / ');

/** Markdown tables: held-out loss, argmax share, routing demo; one row per eval output, labelled. */
export function compareTables(runs: readonly { label: string; out: EvalOutput }[]): string {
  if (runs.length < 1 || runs.length > MAX_COMPARED) throw new InputError(`compare takes 1 to ${MAX_COMPARED} eval outputs, got ${runs.length}`);
  const names = DOMAINS.join(' / ');
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const rule = (n: number) => row(new Array<string>(n).fill('---'));
  const lossHeader = ['checkpoint', ...DOMAINS.map((d) => `${d} loss (ppl)`), 'mean loss'];
  const loss = runs.map(({ label, out }) => row([label, ...DOMAINS.map((d) => `${f3(out.heldout[d].loss)} (${Math.exp(out.heldout[d].loss).toFixed(2)})`),
    f3(DOMAINS.reduce((s, d) => s + out.heldout[d].loss, 0) / DOMAINS.length)]));
  const shareHeader = ['checkpoint', ...DOMAINS.map((d) => `held-out ${d}: share ${names}`)];
  const share = runs.map(({ label, out }) => row([label, ...DOMAINS.map((d) => triple(out.heldout[d].argmaxShare))]));
  const segNames = runs[0]!.out.routingDemo.segments.map((s) => s.name);
  const routeHeader = ['checkpoint', 'top-expert switches', ...segNames.map((n) => `${n}: ${names}`)];
  const route = runs.map(({ label, out }) => row([label, String(out.routingDemo.switches), ...segNames.map((n) => {
    const seg = out.routingDemo.segments.find((s) => s.name === n);
    return seg ? triple(seg.meanScalings) : '–';
  })]));
  const tops = runs.map(({ label, out }) => `${label}: \`${out.routingDemo.topString}\``);
  const windows = [...new Set(runs.map((r) => r.out.windowsPerDomain))].join(', ');
  return [
    `Held-out loss (nats per byte, ${windows} windows of 128 bytes per domain; lower is better):`, '',
    row(lossHeader), rule(lossHeader.length), ...loss, '',
    'Argmax share (fraction of held-out bytes whose layer-averaged top expert is each one):', '',
    row(shareHeader), rule(shareHeader.length), ...share, '',
    'Routing demo (layer-mean scalings per segment; switches = bytes whose top expert differs from the previous byte\'s):', '',
    row(routeHeader), rule(routeHeader.length), ...route, '',
    `Top expert per byte (${DOMAINS.map((d) => `${d[0]} = ${d}`).join(', ')}):`, '', ...tops.map((t) => `- ${t}`), '',
  ].join('\n');
}

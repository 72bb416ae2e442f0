import { readFile } from 'node:fs/promises';
import { InputError } from '@xlora/core';
import { DOMAINS, type Domain } from './corpus.js';
import type { EvalOutput } from './eval-checkpoint.js';
import type { DomainEval } from './heldout-eval.js';
import { promptSegments, type RoutingDemo } from './routing-demo.js';

interface ResultsJson {
  heldout?: { xlora?: Record<string, { loss: number; ppl: number; tokens: number; mean_scalings: number[]; argmax_share: number[] }> };
  heldout_windows?: { per_domain: number; seq_len: number };
  routing_demo?: { prompt: string; experts: string[]; per_token_mean_over_layers: Record<string, number | string>[] };
}

/**
 * PEFT's own figures for the shipped checkpoint (the demo's results.json) in the shape of an eval output, so
 * `compare --peft` prints them as a row. Its per-byte scalings have 4 decimals, so are the segment means here.
 */
export async function peftReference(resultsFile: string): Promise<EvalOutput> {
  const text = await readFile(resultsFile, 'utf8').catch((err: Error) => { throw new InputError(`${resultsFile}: cannot read (${err.message})`); });
  const json = JSON.parse(text) as ResultsJson;
  const xlora = json.heldout?.xlora;
  const demo = json.routing_demo;
  if (!xlora || !demo || !json.heldout_windows) throw new InputError(`${resultsFile}: expected heldout.xlora, heldout_windows and routing_demo (the demo model's results.json)`);
  const heldout = {} as Record<Domain, DomainEval>;
  for (const d of DOMAINS) {
    const h = xlora[d];
    if (!h) throw new InputError(`${resultsFile}: no heldout.xlora.${d}`);
    heldout[d] = { loss: h.loss, ppl: h.ppl, tokens: h.tokens, windows: json.heldout_windows.per_domain, meanScalings: h.mean_scalings, argmaxShare: h.argmax_share };
  }
  const perByte = demo.per_token_mean_over_layers.map((t, pos) => {
    const scalings = demo.experts.map((e) => Number(t[e]));
    return { pos, char: String(t.char), scalings, top: demo.experts[scalings.indexOf(Math.max(...scalings))]! };
  });
  const segments = promptSegments(demo.prompt).map((s) => ({
    ...s, meanScalings: demo.experts.map((_, e) => perByte.slice(s.start, s.end).reduce((sum, b) => sum + b.scalings[e]!, 0) / (s.end - s.start)),
  }));
  let switches = 0;
  for (let p = 1; p < perByte.length; p++) if (perByte[p]!.top !== perByte[p - 1]!.top) switches++;
  const routingDemo: RoutingDemo = { prompt: demo.prompt, experts: demo.experts, perByte, segments, topString: perByte.map((b) => b.top[0]).join(''), switches };
  return {
    checkpoint: 'PEFT 0.18.1 (results.json)', model: '', adapterRoot: '', corpus: '', windowsPerDomain: json.heldout_windows.per_domain,
    windowBytes: json.heldout_windows.seq_len, experts: demo.experts, heldout, routingDemo, seconds: 0,
  };
}

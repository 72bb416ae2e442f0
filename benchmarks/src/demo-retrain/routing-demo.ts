import { readFile } from 'node:fs/promises';
import { i32, InputError } from '@xlora/core';
import type { XLoraModel } from '@xlora/model';
import { argmaxAt, layerMeans } from './layer-means.js';

/** Bytes the routing prompt may have (the demo model's max_position_embeddings). */
export const MAX_PROMPT_BYTES = 256;

export interface Segment {
  name: string;
  /** byte range [start, end) of the prompt */
  start: number;
  end: number;
}

export interface RoutingDemo {
  prompt: string;
  experts: string[];
  /** per byte: the scalings averaged over the layers, per expert */
  perByte: { pos: number; char: string; scalings: number[]; top: string }[];
  /** per segment: the mean of perByte's scalings over its bytes */
  segments: (Segment & { meanScalings: number[] })[];
  /** one letter per byte: the first letter of its top expert's name */
  topString: string;
  /** bytes whose top expert differs from the previous byte's (fewer = cleaner routing) */
  switches: number;
}

/** results.json's `routing_demo.prompt` (the mixed prose / code / arithmetic text of the README). */
export async function readRoutingPrompt(resultsFile: string): Promise<string> {
  const json = JSON.parse(await readFile(resultsFile, 'utf8').catch((err: Error) => {
    throw new InputError(`${resultsFile}: cannot read the demo's results (${err.message})`);
  })) as { routing_demo?: { prompt?: unknown } };
  const prompt = json.routing_demo?.prompt;
  if (typeof prompt !== 'string' || prompt.length === 0) throw new InputError(`${resultsFile}: routing_demo.prompt must be a non-empty string`);
  return prompt;
}

/**
 * The README table's segments, found in the text: "english (line 1)" = the first line without its newline;
 * "code (def/return lines)" = the lines between the first and the last, each with its newline; the last
 * segment = the arithmetic in the last line (from its first digit to its last digit, e.g. '12+30=42').
 */
export function promptSegments(prompt: string): Segment[] {
  const firstBreak = prompt.indexOf('\n');
  const lastBreak = prompt.lastIndexOf('\n');
  if (firstBreak < 0 || lastBreak === firstBreak) throw new InputError(`routing prompt: expected at least three lines (english, code, arithmetic), got ${JSON.stringify(prompt)}`);
  const arithmetic = /[0-9][0-9+\-*=]*[0-9]/.exec(prompt.slice(lastBreak + 1));
  if (!arithmetic) throw new InputError(`routing prompt: its last line ${JSON.stringify(prompt.slice(lastBreak + 1))} has no arithmetic like 12+30=42`);
  const start = lastBreak + 1 + arithmetic.index;
  return [
    { name: 'english (line 1)', start: 0, end: firstBreak },
    { name: 'code (def/return lines)', start: firstBreak + 1, end: lastBreak + 1 },
    { name: `digits/operators '${arithmetic[0]}'`, start, end: start + arithmetic[0].length },
  ];
}

/** One forward of the prompt's bytes (no BOS: the demo tokenizer is id == byte), routing per byte and segment. */
export async function routingDemo(model: XLoraModel, prompt: string, experts: readonly string[]): Promise<RoutingDemo> {
  const bytes = Buffer.from(prompt, 'utf8');
  if (bytes.length !== prompt.length) throw new InputError('routing prompt: expected ASCII text (one byte per character)');
  if (bytes.length > MAX_PROMPT_BYTES) throw new InputError(`routing prompt: ${bytes.length} bytes, expected at most ${MAX_PROMPT_BYTES}`);
  if (experts.length !== model.numExperts) throw new InputError(`routing demo: ${experts.length} expert names for ${model.numExperts} experts`);
  const out = await model.forward(i32([1, bytes.length], Array.from(bytes)));
  const means = layerMeans(out.scalings!); // [S, C]
  const c = experts.length;
  const perByte = Array.from(bytes, (_, pos) => ({
    pos, char: prompt[pos]!, scalings: Array.from(means.subarray(pos * c, pos * c + c)), top: experts[argmaxAt(means, pos, c)]!,
  }));
  const segments = promptSegments(prompt).map((seg) => {
    const sum = new Array<number>(c).fill(0);
    for (let p = seg.start; p < seg.end; p++) perByte[p]!.scalings.forEach((v, e) => { sum[e]! += v; });
    return { ...seg, meanScalings: sum.map((s) => s / (seg.end - seg.start)) };
  });
  const topString = perByte.map((b) => b.top[0]!).join('');
  let switches = 0;
  for (let p = 1; p < perByte.length; p++) if (perByte[p]!.top !== perByte[p - 1]!.top) switches++;
  return { prompt, experts: [...experts], perByte, segments, topString, switches };
}

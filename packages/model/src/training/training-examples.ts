import { InputError } from '@xlora/core';
import { IGNORE_INDEX } from './training-batch.js';

/** One tokenised training example: the ids and the label of each (IGNORE_INDEX where the loss must not count). */
export interface TrainingExample {
  ids: number[];
  labels: number[];
  /** routing supervision: the expert (class index) of each token, IGNORE_INDEX where none is given */
  experts?: number[];
}

/** Segments one {"segments"} line may hold, and the largest expert index one may name. */
export const MAX_SEGMENTS = 100_000;
export const MAX_EXPERT_INDEX = 1023;

/** Text in, ids out: the base model's tokenizer (HfTextTokenizer satisfies it). */
export interface ExampleTokenizer {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
}

/** Examples one data source may hold at most (a JSONL line or a text file each). */
export const MAX_TRAINING_EXAMPLES = 10_000_000;

/**
 * A JSONL line: {"text": …} (every token counted), {"segments": […]} (text labelled with experts, see
 * segmentsExample) or {"prompt": …, "completion": …} (the prompt's labels are
 * IGNORE_INDEX, so the loss is on the completion only, as TRL's prompt-completion datasets). The prompt is encoded
 * with the tokenizer's special tokens (BOS), the completion without, and the two id lists concatenated.
 */
export function exampleFromJson(value: unknown, tok: ExampleTokenizer, where: string): TrainingExample {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${where}: expected a JSON object with "text", "segments", or "prompt" and "completion"`);
  const o = value as Record<string, unknown>;
  const str = (field: string): string => {
    if (typeof o[field] !== 'string') throw new InputError(`${where}: field "${field}" must be a string, got ${o[field] === null ? 'null' : typeof o[field]}`);
    return o[field] as string;
  };
  if ('segments' in o) {
    if ('text' in o || 'prompt' in o || 'completion' in o) throw new InputError(`${where}: give "segments" alone (not with "text", "prompt" or "completion")`);
    return segmentsExample(o.segments, tok, where);
  }
  if ('text' in o) {
    if ('prompt' in o || 'completion' in o) throw new InputError(`${where}: give either "text" or "prompt" + "completion", not both`);
    return textExample(str('text'), tok);
  }
  if (!('prompt' in o) || !('completion' in o)) {
    throw new InputError(`${where}: missing field "${'prompt' in o ? 'completion' : 'prompt' in o || 'completion' in o ? 'prompt' : 'text'}" (a line is {"text"} or {"prompt","completion"})`);
  }
  const prompt = tok.encode(str('prompt'));
  const completion = tok.encode(str('completion'), { addSpecialTokens: false });
  return { ids: [...prompt, ...completion], labels: [...prompt.map(() => IGNORE_INDEX), ...completion] };
}

/**
 * {"segments": [{"text": …, "expert": k}, …]}: text whose parts are labelled with the expert (class index, the
 * checkpoint's adapter order) that should handle them, for routing supervision; "expert": null leaves a part
 * unlabelled. Each segment is encoded on its own (special tokens with the first only) and the ids concatenated, so
 * a tokenizer that merges across the boundary sees it cut there. Every token is a label, as {"text"}.
 */
function segmentsExample(value: unknown, tok: ExampleTokenizer, where: string): TrainingExample {
  if (!Array.isArray(value) || value.length === 0) throw new InputError(`${where}: field "segments" must be a non-empty array of {"text", "expert"}`);
  if (value.length > MAX_SEGMENTS) throw new InputError(`${where}: ${value.length} segments; at most ${MAX_SEGMENTS}`);
  const ids: number[] = [], experts: number[] = [];
  value.forEach((seg: unknown, i) => {
    const at = `${where}: segments[${i}]`;
    if (typeof seg !== 'object' || seg === null || Array.isArray(seg)) throw new InputError(`${at}: expected an object {"text", "expert"}`);
    const { text, expert } = seg as Record<string, unknown>;
    if (typeof text !== 'string') throw new InputError(`${at}: field "text" must be a string, got ${text === null ? 'null' : typeof text}`);
    if (expert !== null && !(Number.isInteger(expert) && (expert as number) >= 0 && (expert as number) <= MAX_EXPERT_INDEX)) {
      throw new InputError(`${at}: field "expert" must be an expert index (an integer in [0, ${MAX_EXPERT_INDEX}]) or null, got ${JSON.stringify(expert)}`);
    }
    const part = tok.encode(text, { addSpecialTokens: i === 0 });
    for (const id of part) {
      ids.push(id);
      experts.push(expert === null ? IGNORE_INDEX : (expert as number));
    }
  });
  return { ids, labels: [...ids], experts };
}

/** Raw text: every token is a label. */
export function textExample(text: string, tok: ExampleTokenizer): TrainingExample {
  const ids = tok.encode(text);
  return { ids, labels: [...ids] };
}

/** Parses a JSONL document (blank lines skipped); errors name `name`, the 1-based line and the field. */
export function examplesFromJsonl(content: string, tok: ExampleTokenizer, name: string): TrainingExample[] {
  const out: TrainingExample[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (out.length >= MAX_TRAINING_EXAMPLES) throw new InputError(`${name}: more than ${MAX_TRAINING_EXAMPLES} examples`);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new InputError(`${name}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    out.push(exampleFromJson(value, tok, `${name}:${i + 1}`));
  }
  if (out.length === 0) throw new InputError(`${name}: no examples (every line is blank)`);
  return out;
}

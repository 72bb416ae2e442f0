import { InputError } from '@xlora/core';
import { IGNORE_INDEX } from './training-batch.js';

/** One tokenised training example: the ids and the label of each (IGNORE_INDEX where the loss must not count). */
export interface TrainingExample {
  ids: number[];
  labels: number[];
}

/** Text in, ids out: the base model's tokenizer (HfTextTokenizer satisfies it). */
export interface ExampleTokenizer {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
}

/** Examples one data source may hold at most (a JSONL line or a text file each). */
export const MAX_TRAINING_EXAMPLES = 10_000_000;

/**
 * A JSONL line: {"text": …} (every token counted) or {"prompt": …, "completion": …} (the prompt's labels are
 * IGNORE_INDEX, so the loss is on the completion only, as TRL's prompt-completion datasets). The prompt is encoded
 * with the tokenizer's special tokens (BOS), the completion without, and the two id lists concatenated.
 */
export function exampleFromJson(value: unknown, tok: ExampleTokenizer, where: string): TrainingExample {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${where}: expected a JSON object with "text" or "prompt" and "completion"`);
  const o = value as Record<string, unknown>;
  const str = (field: string): string => {
    if (typeof o[field] !== 'string') throw new InputError(`${where}: field "${field}" must be a string, got ${o[field] === null ? 'null' : typeof o[field]}`);
    return o[field] as string;
  };
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

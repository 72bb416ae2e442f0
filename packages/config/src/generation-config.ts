import { readTokenIds, type TokenIds } from './base-model-config.js';
import { expectObject, FieldReader } from './json-fields.js';

/** The fields of HF `generation_config.json` we use; the rest stays in `extra`. */
export interface GenerationConfig {
  bosTokenId: number | null;
  eosTokenId: TokenIds;
  padTokenId: number | null;
  maxNewTokens: number | null;
  maxLength: number | null;
  doSample: boolean;
  temperature: number | null;
  topK: number | null;
  topP: number | null;
  repetitionPenalty: number | null;
  extra: Record<string, unknown>;
}

export function parseGenerationConfig(json: unknown, file: string): GenerationConfig {
  const r: FieldReader = new FieldReader(expectObject(json, file), file);
  const positive = { ok: (x: number) => x > 0, expected: 'a number > 0' };
  const cfg: GenerationConfig = {
    bosTokenId: r.nullableInt('bos_token_id', null),
    eosTokenId: readTokenIds(r, 'eos_token_id'),
    padTokenId: r.nullableInt('pad_token_id', null),
    maxNewTokens: r.nullableInt('max_new_tokens', null, 0),
    maxLength: r.nullableInt('max_length', null, 0),
    doSample: r.bool('do_sample', false),
    temperature: r.nullableNum('temperature', null, positive),
    topK: r.nullableInt('top_k', null, 0),
    topP: r.nullableNum('top_p', null, { ok: (p) => p > 0 && p <= 1, expected: 'a number in (0, 1]' }),
    repetitionPenalty: r.nullableNum('repetition_penalty', null, positive),
    extra: {},
  };
  cfg.extra = r.rest();
  return cfg;
}

/** eos ids as a list (config.json and generation_config.json allow a single id, a list, or null). */
export function tokenIdList(ids: TokenIds): number[] {
  return ids === null ? [] : typeof ids === 'number' ? [ids] : [...ids];
}

import { describe, expect, it } from 'vitest';
import { parseGenerationConfig, tokenIdList } from './generation-config.js';
import { expectInputError } from './test-helpers.js';
import { PEFT_FIXTURES, readJson } from './test-helpers.js';

describe('parseGenerationConfig', () => {
  it('reads the fixture file and keeps unknown keys', () => {
    const cfg = parseGenerationConfig(readJson(`${PEFT_FIXTURES}/base/generation_config.json`), 'g.json');
    expect(cfg).toMatchObject({ bosTokenId: 1, padTokenId: 0, eosTokenId: null, maxNewTokens: null, doSample: false });
    expect(cfg.extra).toEqual({ _from_model_config: true, transformers_version: '4.47.0.dev0', use_cache: false });
  });

  it('reads sampling fields and eos lists', () => {
    const cfg = parseGenerationConfig({ eos_token_id: [2, 7], max_new_tokens: 20, temperature: 0.7, top_p: 0.9, top_k: 50, do_sample: true }, 'g.json');
    expect(cfg).toMatchObject({ eosTokenId: [2, 7], maxNewTokens: 20, temperature: 0.7, topP: 0.9, topK: 50, doSample: true });
    expect(tokenIdList(cfg.eosTokenId)).toEqual([2, 7]);
    expect(tokenIdList(3)).toEqual([3]);
    expect(tokenIdList(null)).toEqual([]);
  });

  it('rejects bad values', () => {
    expectInputError(() => parseGenerationConfig({ max_new_tokens: -1 }, 'g.json'), 'g.json: field "max_new_tokens" must be an integer >= 0 or null, got -1');
    expectInputError(() => parseGenerationConfig({ top_p: 2 }, 'g.json'), 'g.json: field "top_p" must be a number in (0, 1] or null, got 2');
    expectInputError(() => parseGenerationConfig('x', 'g.json'), 'g.json: expected a JSON object, got string');
  });
});

import { describe, expect, it } from 'vitest';
import { parseBaseModelConfig } from './base-model-config.js';

describe('messages about values too deep to print', () => {
  it('a field holding a 100000-level nested array is an InputError that describes it (no stack overflow)', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => parseBaseModelConfig({ model_type: 'llama', hidden_size: deep }, 'm/config.json')).toThrow(
      'm/config.json: field "hidden_size" must be an integer >= 1, got an array',
    );
  });
});

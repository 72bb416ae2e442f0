import { describe, expect, it } from 'vitest';
import { jsonStructureProblem, MAX_JSON_DEPTH } from './json-structure.js';

describe('jsonStructureProblem', () => {
  it('finds a key repeated in one object, at any depth', () => {
    expect(jsonStructureProblem('{"a": 1, "b": 2, "a": 3}')).toBe('the key "a" appears twice in one object (which value is meant?)');
    expect(jsonStructureProblem('{"x": [{"k": 1}, {"k": 2, "k": 3}]}')).toBe('the key "k" appears twice in one object (which value is meant?)');
    expect(jsonStructureProblem('{"\\u0061": 1, "a": 2}')).toBe('the key "a" appears twice in one object (which value is meant?)');
  });

  it('accepts the same key in different objects and keys that look alike in values', () => {
    expect(jsonStructureProblem('{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}], "c": "a", "d": ["a", "a"]}')).toBeNull();
    expect(jsonStructureProblem('{"q\\"": "}", "q": "{\\"q\\": 1}"}')).toBeNull();
    expect(jsonStructureProblem('[1, 2]')).toBeNull();
  });

  it('refuses nesting deeper than MAX_JSON_DEPTH (it would overflow the stack when shown in a message)', () => {
    const nested = (d: number) => `{"a": ${'['.repeat(d - 1)}${']'.repeat(d - 1)}}`;
    expect(jsonStructureProblem(nested(MAX_JSON_DEPTH))).toBeNull();
    expect(jsonStructureProblem(nested(MAX_JSON_DEPTH + 1))).toBe(`JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
  });
});

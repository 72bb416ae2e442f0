import { describe, expect, it } from 'vitest';
import { firstDuplicateKey } from './json-duplicate-keys.js';

describe('firstDuplicateKey', () => {
  it('finds a key repeated in one object, at any depth', () => {
    expect(firstDuplicateKey('{"a": 1, "b": 2, "a": 3}')).toBe('a');
    expect(firstDuplicateKey('{"x": [{"k": 1}, {"k": 2, "k": 3}]}')).toBe('k');
    expect(firstDuplicateKey('{"\\u0061": 1, "a": 2}')).toBe('a');
  });

  it('accepts the same key in different objects and keys that look alike in values', () => {
    expect(firstDuplicateKey('{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}], "c": "a", "d": ["a", "a"]}')).toBeNull();
    expect(firstDuplicateKey('{"q\\"": "}", "q": "{\\"q\\": 1}"}')).toBeNull();
    expect(firstDuplicateKey('[1, 2]')).toBeNull();
  });
});

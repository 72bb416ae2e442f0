import { describe, expect, it } from 'vitest';
import { basename, isAbsolutePath, joinPath, normalizePath } from './posix-path.js';

describe('posix paths', () => {
  it('normalizes . and ..', () => {
    expect(normalizePath('a/./b/../c')).toBe('a/c');
    expect(normalizePath('./a//b/')).toBe('a/b');
    expect(normalizePath('../x/../../y')).toBe('../../y');
    expect(normalizePath('/a/../../b')).toBe('/b');
    expect(normalizePath('.')).toBe('');
    expect(normalizePath('C:\\m\\..\\n')).toBe('C:/n');
  });

  it('joins, restarting at absolute parts', () => {
    expect(joinPath('cases/a/xlora', '../../../adapters/x')).toBe('adapters/x');
    expect(joinPath('', 'experts/code')).toBe('experts/code');
    expect(joinPath('/work/main', 'models/../test-data')).toBe('/work/main/test-data');
    expect(joinPath('root', '/abs/p')).toBe('/abs/p');
    expect(joinPath('', '')).toBe('');
    expect(isAbsolutePath('/x')).toBe(true);
    expect(isAbsolutePath('x')).toBe(false);
    expect(basename('a/b/c.json')).toBe('c.json');
  });
});

import { describe, expect, it } from 'vitest';
import { mapFileSource } from './map-file-source.js';
import { nodeFileSource } from './node-file-source.js';
import { urlFileSource } from './url-file-source.js';
import { expectInputError, PEFT_FIXTURES } from './test-helpers.js';

describe('nodeFileSource', () => {
  const src = nodeFileSource(PEFT_FIXTURES);
  it('reads files with progress, resolves .., tells existence and size', async () => {
    const seen: Array<[number, number]> = [];
    const bytes = await src.read('cases/a_default/../../base/config.json', (l, t) => seen.push([l, t]));
    expect(JSON.parse(new TextDecoder().decode(bytes)).model_type).toBe('llama');
    expect(seen.at(-1)).toEqual([bytes.length, bytes.length]);
    expect(await src.exists('base')).toBe(true);
    expect(await src.exists('base/nope.json')).toBe(false);
    expect(await src.size!('base/config.json')).toBe(bytes.length);
    expect(new TextDecoder().decode(await src.readRange!('base/config.json', 0, 1))).toBe('{');
    expect(src.describe('base/../base/config.json')).toBe(`${PEFT_FIXTURES}/base/config.json`);
  });

  it('names the path of a missing file', async () => {
    await expectInputError(() => src.read('base/missing.json'), `${PEFT_FIXTURES}/base/missing.json: file not found`);
  });
});

describe('mapFileSource', () => {
  const src = mapFileSource(new Map<string, Uint8Array | Blob>([
    ['./a/b.bin', new Uint8Array([1, 2, 3])],
    ['a/c.txt', new Blob(['hello'])],
  ]));
  it('normalizes keys, knows folders, reads Blobs and ranges', async () => {
    expect(await src.exists('a')).toBe(true);
    expect(await src.exists('a/x/../b.bin')).toBe(true);
    expect(await src.exists('b')).toBe(false);
    expect([...(await src.read('a/b.bin'))]).toEqual([1, 2, 3]);
    expect(new TextDecoder().decode(await src.read('a/c.txt'))).toBe('hello');
    expect(new TextDecoder().decode(await src.readRange!('a/c.txt', 1, 3))).toBe('el');
    expect(await src.size!('a/c.txt')).toBe(5);
    await expectInputError(() => src.read('a/d'), 'a/d: file not found');
  });
});

describe('urlFileSource', () => {
  const files: Record<string, Uint8Array<ArrayBuffer>> = { 'https://h/m/base/config.json': new TextEncoder().encode('{"a":1}') as Uint8Array<ArrayBuffer> };
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const body = files[url];
    if (!body) return new Response('no', { status: 404, statusText: 'Not Found' });
    const range = new Headers(init?.headers).get('Range');
    if (range) {
      const [s, e] = range.replace('bytes=', '').split('-').map(Number);
      return new Response(body.slice(s, e + 1), { status: 206 });
    }
    return new Response(init?.method === 'HEAD' ? null : body, { status: 200, headers: { 'content-length': String(body.length) } });
  }) as typeof fetch;
  const src = urlFileSource('https://h/m', fetchImpl);

  it('resolves paths against the base URL and reads with progress', async () => {
    expect(src.describe('xlora/../base/config.json')).toBe('https://h/m/base/config.json');
    expect(await src.exists('base/config.json')).toBe(true);
    expect(await src.exists('base/x.json')).toBe(false);
    const seen: number[] = [];
    expect(new TextDecoder().decode(await src.read('base/config.json', (l) => seen.push(l)))).toBe('{"a":1}');
    expect(seen.at(-1)).toBe(7);
    expect(new TextDecoder().decode(await src.readRange!('base/config.json', 1, 4))).toBe('"a"');
    expect(await src.size!('base/config.json')).toBe(7);
  });

  it('reports HTTP failures with the URL', async () => {
    await expectInputError(() => src.read('base/x.json'), 'https://h/m/base/x.json: file not found');
    const failing = urlFileSource('https://h/m', (async () => {
      throw new Error('offline');
    }) as typeof fetch);
    await expectInputError(() => failing.read('a'), 'https://h/m/a: request failed (offline)');
  });
});

import { describe, expect, it } from 'vitest';
import { IncrementalDetokenizer } from './incremental-detokenizer.js';
import { StopMatcher } from './stop-matcher.js';

describe('StopMatcher', () => {
  it('finds a stop string split over deltas and never sends it or what follows', () => {
    const m = new StopMatcher(['END', '\n\n']);
    const sent: string[] = [];
    for (const d of ['ab', 'cE', 'N', 'xE', 'ND', 'more']) {
      const r = m.push(d);
      sent.push(r.text);
      if (r.stopped) break;
    }
    // "E" is held after "abcE", then "EN" turns out not to be "END" once "x" comes
    expect(sent).toEqual(['ab', 'c', '', 'ENx', '']);
    expect(sent.join('')).toBe('abcENx');
    expect(m.stopped).toBe(true);
  });

  it('sends held text at the end when no stop string came', () => {
    const m = new StopMatcher(['stop']);
    expect(m.push('a st').text).toBe('a ');
    expect(m.push('o').text).toBe('');
    expect(m.flush()).toBe('sto');
  });

  it('stops at the earliest of several stop strings', () => {
    const m = new StopMatcher(['cd', 'b']);
    expect(m.push('abcd')).toEqual({ text: 'a', stopped: true });
  });
});

describe('IncrementalDetokenizer', () => {
  it('holds a multi-byte character until its last byte (UTF-8 byte tokens)', () => {
    const utf8 = new TextDecoder();
    const d = new IncrementalDetokenizer((ids) => utf8.decode(Uint8Array.from(ids)));
    const bytes = [...new TextEncoder().encode('a€b')]; // € is 3 bytes
    expect(bytes.map((b) => d.push(b))).toEqual(['a', '', '', '€', 'b']);
    d.push(0xe2);
    expect(d.flush()).toBe('\uFFFD');
  });
});

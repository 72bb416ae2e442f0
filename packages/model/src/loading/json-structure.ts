/** Model files never nest deeper; deeper values would overflow the stack of JSON.stringify / String in messages. */
export const MAX_JSON_DEPTH = 64;

/**
 * What is wrong with the structure of valid JSON `text`, or null: a key that appears twice in one object
 * (`JSON.parse`, like Python's json and serde_json maps, silently keeps the last value, which hides which value
 * was meant), or nesting deeper than MAX_JSON_DEPTH. The message reads after "<file>: ".
 */
export function jsonStructureProblem(text: string): string | null {
  // One entry per open container: the keys seen so far (objects) or null (arrays).
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      if (end < 0) return null;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.has(key)) return `the key ${JSON.stringify(key)} appears twice in one object (which value is meant?)`;
        top.add(key);
      }
      expectKey = false;
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length === MAX_JSON_DEPTH) return `JSON nested more than ${MAX_JSON_DEPTH} levels deep`;
      stack.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] !== null && stack.length > 0;
    }
  }
  return null;
}

/** Index of the closing quote of the string starting at `start`, -1 when unterminated. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i;
  }
  return -1;
}

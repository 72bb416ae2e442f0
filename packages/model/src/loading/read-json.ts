import { InputError } from '@xlora/core';
import type { FileSource } from './file-source.js';
import { jsonStructureProblem } from './json-structure.js';

/** Reads and parses a JSON file; a missing file or bad JSON is an InputError naming the file. */
export async function readJsonFile(src: FileSource, path: string): Promise<unknown> {
  const bytes = await src.read(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${src.describe(path)}: not valid UTF-8 text`);
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new InputError(`${src.describe(path)}: not valid JSON (${(err as Error).message})`);
  }
  const problem = jsonStructureProblem(body);
  if (problem !== null) throw new InputError(`${src.describe(path)}: ${problem}`);
  return json;
}

/** Like readJsonFile, but resolves to undefined when the file does not exist. */
export async function readOptionalJsonFile(src: FileSource, path: string): Promise<unknown> {
  return (await src.exists(path)) ? readJsonFile(src, path) : undefined;
}

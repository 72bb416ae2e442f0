import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@xlora/core';
import { examplesFromJsonl, MAX_TRAINING_EXAMPLES, textExample, type ExampleTokenizer, type TrainingExample } from '@xlora/model';

/** Bytes of training data read at most (all files together): the tokens are held in memory. */
const MAX_DATA_BYTES = 1 << 30;

/**
 * --data / --eval-data: a .jsonl file ({"text"} or {"prompt","completion"} per line) or a folder of raw text
 * files (every regular file in it, sorted by name, not recursive; one example each).
 */
export async function readTrainingExamples(path: string, shownAs: string, tok: ExampleTokenizer): Promise<TrainingExample[]> {
  const st = await stat(path).catch(() => null);
  if (!st) throw new InputError(`${shownAs}: no such file or folder`);
  if (st.isFile()) {
    if (!path.endsWith('.jsonl')) throw new InputError(`${shownAs}: a data file must be .jsonl ({"text"} or {"prompt","completion"} per line); for raw text give a folder of text files`);
    if (st.size > MAX_DATA_BYTES) throw new InputError(`${shownAs}: ${st.size} bytes, more than the ${MAX_DATA_BYTES} a data source may hold`);
    return examplesFromJsonl(await readFile(path, 'utf8'), tok, shownAs);
  }
  const names = (await readdir(path, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name).sort();
  if (names.length === 0) throw new InputError(`${shownAs}: the folder holds no files`);
  if (names.length > MAX_TRAINING_EXAMPLES) throw new InputError(`${shownAs}: more than ${MAX_TRAINING_EXAMPLES} files`);
  const out: TrainingExample[] = [];
  let bytes = 0;
  for (const name of names) {
    const buf = await readFile(join(path, name));
    bytes += buf.length;
    if (bytes > MAX_DATA_BYTES) throw new InputError(`${shownAs}: more than ${MAX_DATA_BYTES} bytes of text`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      throw new InputError(`${shownAs}/${name}: not UTF-8 text`);
    }
    out.push(textExample(text, tok));
  }
  return out;
}

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@xlora/core';

/** The demo's domains in X-LoRA class order (xlora/adapter_config.json: 0 = prose, 1 = code, 2 = math). */
export const DOMAINS = ['prose', 'code', 'math'] as const;
export type Domain = (typeof DOMAINS)[number];
export type Split = 'train' | 'eval';

/** Largest split file read (the biggest, code.train.bin, is 4.2 MB). */
export const MAX_SPLIT_BYTES = 64 * 1024 * 1024;

/** Reads `<dir>/<domain>.<split>.bin`: raw bytes, checked to be ASCII (the demo tokenizer is id == byte). */
export async function readSplit(dir: string, domain: Domain, split: Split, minBytes: number): Promise<Uint8Array> {
  const file = join(dir, `${domain}.${split}.bin`);
  const size = await stat(file).then((s) => s.size, (err: NodeJS.ErrnoException) => {
    throw new InputError(`${file}: cannot read the ${domain} ${split} split (${err.code ?? err.message}); --corpus must be the xlora-demo corpus folder`);
  });
  if (size > MAX_SPLIT_BYTES) throw new InputError(`${file}: ${size} bytes, expected at most ${MAX_SPLIT_BYTES}`);
  if (size < minBytes) throw new InputError(`${file}: ${size} bytes, expected at least ${minBytes}`);
  const bytes = new Uint8Array(await readFile(file));
  const bad = bytes.findIndex((b) => b > 0x7f);
  if (bad >= 0) throw new InputError(`${file}: byte ${bytes[bad]} at offset ${bad} is not ASCII (the corpus is ASCII text)`);
  return bytes;
}

/** All three domains of one split. */
export async function readSplits(dir: string, split: Split, minBytes: number): Promise<Record<Domain, Uint8Array>> {
  const [prose, code, math] = await Promise.all(DOMAINS.map((d) => readSplit(dir, d, split, minBytes)));
  return { prose: prose!, code: code!, math: math! };
}

import { open, rename, rm } from 'node:fs/promises';
import { InputError } from '@xlora/core';
import { isLoadDtype, LOAD_DTYPES, nodeFileSource, writeGgufBaseModel, type LoadDtype } from '@xlora/model';
import { checkOutputPath } from '../lib/output-path.js';
import { fromUser } from '../lib/paths.js';

export interface QuantizeArgs {
  model: string;
  dtype: string;
  out: string;
}

/**
 * xlora quantize: a transformers Llama-family folder as a GGUF file llama.cpp loads, its 2-D weights in --dtype
 * (norms f32; q4_k_m = llama.cpp's Q4_K_M mix). Written to FILE.partial, tensor by tensor, then renamed.
 */
export async function quantizeCommand(args: QuantizeArgs): Promise<void> {
  if (!isLoadDtype(args.dtype)) throw new InputError(`--dtype must be one of ${LOAD_DTYPES.join(', ')}, got ${JSON.stringify(args.dtype)}`);
  if (!/\.gguf$/i.test(args.out)) throw new InputError(`--out ${args.out}: expected a file name ending in .gguf`);
  const out = await checkOutputPath('--out', args.out);
  const partial = `${out}.partial`;
  const started = performance.now();
  const handle = await open(partial, 'w');
  let written;
  try {
    written = await writeGgufBaseModel(nodeFileSource(), fromUser(args.model), { write: async (b) => void (await handle.write(b)) }, {
      dtype: args.dtype as LoadDtype,
      onNotice: (m) => process.stderr.write(`note: ${m}\n`),
    });
    await handle.close();
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(partial, { force: true });
    throw err;
  }
  await rename(partial, out);
  const counts = new Map<string, number>();
  for (const t of written.tensors) counts.set(t.format, (counts.get(t.format) ?? 0) + 1);
  const mix = [...counts].map(([f, n]) => `${n} ${f}`).join(', ');
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(`wrote ${out}: ${written.tensors.length} tensors (${mix}), ${(written.bytes / 2 ** 20).toFixed(2)} MiB in ${secs} s\n`);
}

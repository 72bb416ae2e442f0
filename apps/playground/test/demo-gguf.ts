/** Test set-up: the demo model with its base written as a GGUF file, and the same model run in Node for reference. */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CpuBackend } from '@xlora/backend-cpu';
import { i32 } from '@xlora/core';
import { loadXLoraModel, mapFileSource, memorySink, nodeFileSource, openGguf, weightBytes, writeGguf, writeGgufBaseModel, type LoadDtype } from '@xlora/model';

/**
 * `outDir/fileName`: the demo's base (models/xlora-demo/base) as an F32 GGUF with its tokenizer in the
 * tokenizer.ggml metadata (no tokenizer.json beside it), and the demo's xlora/ and experts/ next to it.
 * `stripTokenizer` drops the tokenizer.* metadata (a GGUF without a tokenizer).
 */
export async function writeDemoGguf(modelDir: string, outDir: string, fileName: string, opts: { stripTokenizer?: boolean } = {}): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const sink = memorySink();
  await writeGgufBaseModel(nodeFileSource(modelDir), 'base', sink, { dtype: 'f32', name: 'xlora-demo', onNotice: () => {} });
  let bytes = sink.bytes();
  if (opts.stripTokenizer) bytes = await withoutTokenizer(bytes);
  writeFileSync(join(outDir, fileName), bytes);
  for (const part of ['xlora', 'experts']) cpSync(join(modelDir, part), join(outDir, part), { recursive: true });
}

/** The same GGUF without its tokenizer.* metadata keys. */
async function withoutTokenizer(file: Uint8Array): Promise<Uint8Array> {
  const g = await openGguf(mapFileSource({ 'in.gguf': file }), 'in.gguf');
  const sink = memorySink();
  const metadata = [...g.metadata].filter(([k]) => !k.startsWith('tokenizer.'));
  await writeGguf(sink, metadata, g.tensors.map((t) => ({
    name: t.name, shape: t.shape, format: t.format, data: async () => weightBytes(await g.readTensor(t.name)),
  })));
  return sink.bytes();
}

/** Greedy continuation of `prompt` by the X-LoRA model of `dir` (GGUF base `baseFile`, `dtype`) on the CPU backend, in Node. */
export async function nodeGreedy(dir: string, baseFile: string, dtype: LoadDtype, prompt: string, maxNewTokens: number): Promise<string> {
  const backend = new CpuBackend();
  const model = await loadXLoraModel({ source: nodeFileSource(dir), baseDir: baseFile, xloraDir: 'xlora', adapterRoot: '', backend, dtype, onNotice: () => {} });
  try {
    const tok = model.parts.tokenizer!;
    const ids = tok.encode(prompt);
    const { tokens } = await model.generate(i32([1, ids.length], ids), { maxNewTokens });
    return tok.decode(tokens[0].slice(ids.length));
  } finally {
    model.dispose();
    backend.dispose();
  }
}

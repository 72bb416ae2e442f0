import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findGgufBaseFile } from './find-gguf.js';
import { ggufLlamaConfig, nodeFileSource, openGguf } from '@xlora/model';
import { weightFileBytes } from './model-cache.js';
import type { ModelSpec } from './run-spec.js';

/** Shape numbers of a base (for the KV-cache size): from a GGUF's metadata or config.json. */
async function baseShape(base: string, gguf: string | undefined): Promise<Pick<ModelSpec, 'layers' | 'kvHeads' | 'headDim' | 'vocab'>> {
  if (gguf) {
    const c = ggufLlamaConfig(await openGguf(nodeFileSource(), gguf));
    return { layers: c.numHiddenLayers, kvHeads: c.numKeyValueHeads, headDim: c.headDim, vocab: c.vocabSize };
  }
  const c = JSON.parse(readFileSync(join(base, 'config.json'), 'utf8')) as Record<string, number>;
  const heads = c.num_attention_heads;
  return { layers: c.num_hidden_layers, kvHeads: c.num_key_value_heads ?? heads, headDim: c.head_dim ?? c.hidden_size / heads, vocab: c.vocab_size };
}

/** --model DIR|FILE.gguf [--xlora CKPT] [--adapter-root DIR]: any base and X-LoRA checkpoint (the experts it names). */
export async function customModel(model: string, xlora: string | undefined, adapterRoot: string | undefined): Promise<ModelSpec> {
  const base = resolve(model);
  const gguf = findGgufBaseFile(base);
  const xloraDir = xlora === undefined ? undefined : resolve(xlora);
  // PEFT resolves relative expert paths against the working directory
  const root = adapterRoot === undefined ? process.cwd() : resolve(adapterRoot);
  let adapterBytes = 0;
  if (xloraDir) {
    adapterBytes = weightFileBytes(xloraDir);
    const cfg = JSON.parse(readFileSync(join(xloraDir, 'adapter_config.json'), 'utf8')) as { adapters?: Record<string, string> };
    for (const path of Object.values(cfg.adapters ?? {})) {
      const dir = resolve(root, path);
      try {
        if (statSync(dir).isDirectory()) adapterBytes += weightFileBytes(dir);
      } catch {
        // the loader names a missing expert; its bytes are then unknown here
      }
    }
  }
  return {
    preset: 'custom', format: gguf ? 'gguf' : 'safetensors', base, ...(gguf ? { gguf } : {}),
    ...(xloraDir ? { xlora: xloraDir, adapterRoot: root } : {}),
    baseBytes: weightFileBytes(gguf ?? base), adapterBytes, ...(await baseShape(base, gguf)),
  };
}

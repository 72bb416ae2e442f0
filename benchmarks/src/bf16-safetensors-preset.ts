import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { floatToBf16Bits } from '@xlora/core';
import { writeFileAtomically } from './file-sink.js';
import { baseTensorPlan, randomNormBytes } from './gguf-preset.js';
import { llamaConfigJson } from './llama-config-json.js';
import { randomWeightBytes } from './random-blocks.js';
import { u32Stream } from './random-stream.js';
import type { ModelPreset } from './presets.js';

/**
 * A transformers checkpoint folder of a preset in BF16 (norms too, as Hugging Face ships them), sharded into
 * `shards` safetensors files with model.safetensors.index.json, written tensor by tensor from random values.
 */
export async function writeRandomBf16Checkpoint(p: ModelPreset, dir: string, shards = 2, seed = 13): Promise<void> {
  const next = u32Stream(seed);
  const plan = baseTensorPlan(p).map((t) => ({ ...t, bytes: 2 * t.shape.reduce((a, b) => a * b, 1) }));
  const total = plan.reduce((n, t) => n + t.bytes, 0);
  const groups: (typeof plan)[] = Array.from({ length: shards }, () => []);
  let acc = 0;
  for (const t of plan) {
    groups[Math.min(shards - 1, Math.floor((acc * shards) / total))].push(t);
    acc += t.bytes;
  }
  await mkdir(dir, { recursive: true });
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
    let offset = 0;
    for (const t of groups[s]) {
      header[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [offset, offset + t.bytes] };
      offset += t.bytes;
      weightMap[t.name] = file;
    }
    let json = JSON.stringify(header);
    json += ' '.repeat((8 - (json.length % 8)) % 8); // data starts 8-byte aligned
    await writeFileAtomically(join(dir, file), async (sink) => {
      const prefix = new Uint8Array(8);
      new DataView(prefix.buffer).setBigUint64(0, BigInt(json.length), true);
      await sink.write(prefix);
      await sink.write(new TextEncoder().encode(json));
      for (const t of groups[s]) {
        await sink.write(t.norm ? bf16Norms(t.shape[0], t.rms, next) : randomWeightBytes('bf16', t.shape[0], t.shape[1], t.rms, next));
      }
    });
  }
  await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  await writeFile(join(dir, 'config.json'), JSON.stringify(llamaConfigJson(p, 'bfloat16'), null, 2));
}

/** Norm weights 1 ± spread as BF16. */
function bf16Norms(n: number, spread: number, next: () => number): Uint8Array {
  const values = new Float32Array(randomNormBytes(n, spread, next).buffer);
  return new Uint8Array(Uint16Array.from(values, floatToBf16Bits).buffer);
}

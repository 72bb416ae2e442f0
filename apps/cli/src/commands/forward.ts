import { readFile, writeFile } from 'node:fs/promises';
import { InputError, type HostTensor } from '@xlora/core';
import { parseSafetensors, writeSafetensors } from '@xlora/model';
import { startBackend } from '../lib/backend-choice.js';
import { loadFromArgs, type ModelArgs } from '../lib/load.js';
import { checkOutputPath } from '../lib/output-path.js';
import { fromUser } from '../lib/paths.js';

export interface ForwardArgs extends ModelArgs {
  inputs: string;
  out: string;
  backend: string;
  ep?: string;
  allowFallback?: boolean;
}

/** xlora forward: IN.safetensors (input_ids[, attention_mask, position_ids]) → OUT.safetensors (logits, scalings). */
export async function forwardCommand(args: ForwardArgs): Promise<void> {
  const outPath = await checkOutputPath('--out', args.out);
  const inputsPath = fromUser(args.inputs);
  const file = parseSafetensors(new Uint8Array(await readFile(inputsPath)), inputsPath);
  const optional = (name: string): HostTensor | undefined => (file.names().includes(name) ? file.getI32(name) : undefined);
  if (!file.names().includes('input_ids')) throw new InputError(`${inputsPath}: no tensor named "input_ids" (expected I32 [batch, seq])`);
  const inputIds = file.getI32('input_ids');
  const backend = await startBackend(args.backend, { ep: args.ep, allowFallback: args.allowFallback });
  try {
    const model = await loadFromArgs(args, backend);
    const out = await model.forward(inputIds, { attentionMask: optional('attention_mask'), positionIds: optional('position_ids') });
    await writeFile(outPath, writeSafetensors({ logits: out.logits, scalings: out.scalings! }));
    process.stderr.write(`wrote logits [${out.logits.shape}] and scalings [${out.scalings!.shape}] to ${args.out} (backend ${backend.info.name}: ${backend.info.device})\n`);
  } finally {
    backend.dispose();
  }
}

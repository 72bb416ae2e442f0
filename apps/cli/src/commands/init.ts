import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@xlora/core';
import { initXLoraCheckpointFiles, loadBaseModel, loadLoraExpert, nodeFileSource } from '@xlora/model';
import { checkOutDir } from './train.js';
import { fromUser } from '../lib/paths.js';

export interface InitArgs {
  model: string;
  adapters: string;
  out: string;
  depth?: number;
  size?: number;
  layerwise?: boolean;
  softmax?: boolean;
  softmaxTopk?: boolean;
  temperature?: number;
  topK?: number;
  dropout?: number;
  trainableAdapters?: boolean;
  scalingPassValue?: number;
  globalScalingWeight?: number;
  seed?: number;
}

/** Experts one checkpoint may list at most. */
const MAX_EXPERTS = 1024;

/** "a=DIR,b=DIR" or "DIR,DIR": [name, path] in class order (PEFT keys the classes "0".."n-1"; the names are only shown). */
function parseAdapterList(text: string): [string, string][] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new InputError('--adapters expects NAME=DIR,NAME=DIR (or DIR,DIR), got nothing');
  if (items.length > MAX_EXPERTS) throw new InputError(`--adapters: ${items.length} experts, at most ${MAX_EXPERTS}`);
  return items.map((item, i) => {
    const eq = item.indexOf('=');
    if (eq === 0 || eq === item.length - 1) throw new InputError(`--adapters item ${i + 1} "${item}": expected NAME=DIR or DIR`);
    return eq < 0 ? [String(i), item] : [item.slice(0, eq), item.slice(eq + 1)];
  });
}

/**
 * xlora init: a new PEFT-format X-LoRA checkpoint from a base model and LoRA adapters, the classifier drawn from
 * the distribution PEFT's nn.Linear layers start from (torch's draws are not reproduced; --seed picks ours).
 * adapter_config.json lists the adapter paths as given: PEFT resolves them against its working directory.
 */
export async function initCommand(args: InitArgs): Promise<void> {
  const adapters = parseAdapterList(args.adapters);
  const outDir = await checkOutDir(args.out);
  const source = nodeFileSource('/');
  const base = await loadBaseModel(source, fromUser(args.model));
  const experts = [];
  for (const [i, [name, path]] of adapters.entries()) experts.push(await loadLoraExpert(source, fromUser(path), name, { index: i }));
  const fields: Record<string, unknown> = {
    base_model_name_or_path: args.model,
    hidden_size: base.config.hiddenSize,
    adapters: Object.fromEntries(adapters.map(([, path], i) => [String(i), path])),
    ...(args.depth === undefined ? {} : { xlora_depth: args.depth }),
    ...(args.size === undefined ? {} : { xlora_size: args.size }),
    ...(args.layerwise === undefined ? {} : { layerwise_scalings: args.layerwise }),
    ...(args.softmax === undefined ? {} : { enable_softmax: args.softmax }),
    ...(args.softmaxTopk === undefined ? {} : { enable_softmax_topk: args.softmaxTopk }),
    ...(args.temperature === undefined ? {} : { softmax_temperature: args.temperature }),
    ...(args.topK === undefined ? {} : { top_k_lora: args.topK }),
    ...(args.dropout === undefined ? {} : { xlora_dropout_p: args.dropout }),
    ...(args.trainableAdapters === undefined ? {} : { use_trainable_adapters: args.trainableAdapters }),
    ...(args.scalingPassValue === undefined ? {} : { scaling_pass_value: args.scalingPassValue }),
    ...(args.globalScalingWeight === undefined ? {} : { global_scaling_weight: args.globalScalingWeight }),
  };
  const { files, numLayers, config } = initXLoraCheckpointFiles(fields, { baseConfig: base.config, baseWeights: base.weights, experts }, args.seed ?? 0);
  if (!(await stat(outDir).catch(() => null))) await mkdir(outDir);
  for (const [rel, bytes] of files) await writeFile(join(outDir, rel), bytes);
  process.stderr.write(`wrote ${args.out}: ${experts.length} experts (${adapters.map(([name], i) => `${i}=${name}`).join(', ')}), ${numLayers} X-LoRA layers, `
    + `classifier depth ${config.xloraDepth}${config.xloraDepth > 1 ? ` size ${config.xloraSize}` : ''}${config.layerwiseScalings ? ', layerwise' : ''}\n`);
}

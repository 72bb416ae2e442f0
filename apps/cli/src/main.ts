#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { demoCommand, DEMO_PROMPT } from './commands/demo.js';
import { exportOnnxCommand } from './commands/export-onnx.js';
import { forwardCommand } from './commands/forward.js';
import { generateCommand } from './commands/generate.js';
import { heatmapCommand } from './commands/heatmap.js';
import { inspectCommand } from './commands/inspect.js';
import { quantizeCommand } from './commands/quantize.js';
import { trainCommand } from './commands/train.js';
import { trainDataCommand } from './commands/train-data.js';
import { initCommand } from './commands/init.js';
import { registerServeCommand } from './serve/register.js';
import { LOAD_DTYPES } from '@xlora/model';
import { BACKENDS } from './lib/backend-choice.js';
import { TRAINING_BACKENDS } from './lib/training-backend.js';

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
  return n;
};
const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number`);
  return n;
};
const collect = (v: string, prev: string[] = []) => [...prev, v];
const backendOption = () => new Option('--backend <name>', 'where to run').choices(BACKENDS).default('cpu');
const epOption = () => new Option('--ep <provider>', 'ONNX Runtime execution provider for --backend cuda-onnx (default cuda)').choices(['cuda', 'webgpu', 'cpu']);
const dtypeOption = () => new Option('--dtype <format>', 'store the base weights as this format (every 2-D matrix; norms stay f32), quantized on load; q4_k_m: llama.cpp\'s Q4_K_M mix (default: as stored)').choices(LOAD_DTYPES);
const fallbackOption = () => new Option('--allow-fallback', 'with --backend cuda-onnx: use another execution provider when the asked one cannot start');

const program = new Command('xlora')
  .description('Run HuggingFace PEFT X-LoRA checkpoints (mixtures of LoRA experts) with PEFT\'s numbers')
  .showHelpAfterError();

const modelOptions = (cmd: Command) => cmd
  .requiredOption('--model <path>', 'base model: a folder (config.json, model.safetensors[, tokenizer.json]), a .gguf file, or a folder with one .gguf')
  .requiredOption('--xlora <dir>', 'X-LoRA checkpoint folder (adapter_config.json + adapter_model.safetensors)')
  .option('--adapter-root <dir>', 'folder the checkpoint\'s relative expert paths resolve against (default: the working directory, then the checkpoint\'s folders)')
  .option('--adapter <key=path>', 'override one expert\'s path, e.g. 0=experts/prose (repeatable)', collect)
  .addOption(dtypeOption());

modelOptions(program.command('forward').description('one forward pass: logits and scalings (PEFT get_latest_scalings) to a safetensors file'))
  .requiredOption('--inputs <file>', 'safetensors with input_ids (I32 [B,S]) and optionally attention_mask, position_ids')
  .requiredOption('--out <file>', 'output safetensors: logits F32 [B,S,V], scalings F32 [B,S,L,C]')
  .addOption(backendOption())
  .addOption(epOption())
  .addOption(fallbackOption())
  .action((opts) => forwardCommand(opts));

modelOptions(program.command('generate').description('generate tokens (greedy unless --do-sample), streaming them as they come'))
  .option('--inputs <file>', 'safetensors with input_ids (I32 [B,S]) and optionally attention_mask')
  .option('--prompt <text>', 'a text prompt (needs tokenizer.json in the base folder)')
  .option('--chat', 'wrap --prompt in the tokenizer\'s chat template (tokenizer_config.json chat_template)')
  .option('--system <text>', 'with --chat: a system message')
  .requiredOption('--max-new-tokens <n>', 'tokens to generate', int('--max-new-tokens', 0))
  .option('--out <file>', 'write {"tokens": [[prompt + new ids], …]} like HF generate')
  .option('--do-sample', 'sample instead of greedy decoding')
  .option('--temperature <t>', 'sampling temperature', num('--temperature'))
  .option('--top-k <k>', 'sample among the k most likely tokens', int('--top-k', 0))
  .option('--top-p <p>', 'nucleus sampling threshold', num('--top-p'))
  .option('--seed <n>', 'sampling seed', int('--seed', 0))
  .option('--eos-token-id <id>', 'stop a sequence at this id (repeatable; default: the model\'s generation config)', (v: string, prev: number[] = []) => [...prev, int('--eos-token-id', 0)(v)])
  .option('--show-scalings', 'print each new token with its experts\' weights (mean over layers)')
  .option('--scalings-out <file>', 'write the scalings log (JSON, PEFT layout: whole sequence per step)')
  .addOption(backendOption())
  .addOption(epOption())
  .addOption(fallbackOption())
  .action((opts) => generateCommand(opts));

modelOptions(program.command('export-onnx').description('export the X-LoRA step graph to ONNX (model.onnx + model.json sidecar), loadable by onnxruntime'))
  .requiredOption('--out <dir>', 'output folder')
  .addOption(new Option('--logits <which>', 'logits of every position or only the last (generation)').choices(['all', 'last']).default('last'))
  .action((opts) => exportOnnxCommand(opts));

program.command('inspect').description('show experts, ranks, targets, L, C, the classifier and config')
  .argument('<xlora-dir>', 'X-LoRA checkpoint folder')
  .requiredOption('--model <path>', 'base model folder or .gguf file (needed to number the LoRA layers)')
  .option('--adapter-root <dir>', 'folder the relative expert paths resolve against')
  .option('--json', 'machine-readable output')
  .action((xlora: string, opts) => inspectCommand({ ...opts, xlora }));

program.command('heatmap').description('render a scalings log (generate --scalings-out) as an SVG heatmap, tokens × experts')
  .argument('<log>', 'scalings log JSON')
  .requiredOption('--out <file>', 'SVG file to write')
  .option('--entry <n>', 'log entry (default: the last, i.e. the whole sequence)', int('--entry', 0))
  .option('--layer <l>', 'X-LoRA layer index, or "mean" (default)')
  .option('--batch <b>', 'batch row', int('--batch', 0))
  .action((log: string, opts) => heatmapCommand({ ...opts, log }));

program.command('quantize').description('write a transformers Llama-family model folder as a GGUF file (llama.cpp loads it)')
  .requiredOption('--model <dir>', 'base model folder (config.json, model.safetensors, tokenizer.json)')
  .addOption(new Option('--dtype <format>', 'format of the 2-D weights (norms stay f32); q4_k_m = llama.cpp\'s Q4_K_M mix')
    .choices(LOAD_DTYPES).makeOptionMandatory())
  .requiredOption('--out <file.gguf>', 'GGUF file to write')
  .action((opts) => quantizeCommand(opts));

program.command('train').description('train the X-LoRA classifier (and, with --trainable-adapters, the experts) as PEFT does: on --data (JSONL or a folder of texts), or exact-step mode: the whole --batch every step')
  .requiredOption('--model <path>', 'base model folder (config.json, model.safetensors; tokenizer.json for --data) or .gguf')
  .requiredOption('--xlora <dir>', 'X-LoRA checkpoint to start from (adapter_config.json + adapter_model.safetensors; xlora init makes one)')
  .option('--adapter-root <dir>', 'folder the checkpoint\'s relative expert paths resolve against (default: the working directory, then the checkpoint\'s folders)')
  .option('--adapter <key=path>', 'override one expert\'s path, e.g. 0=experts/prose (repeatable)', collect)
  .option('--data <file|dir>', 'data-file mode: .jsonl of {"text"} or {"prompt","completion"} (loss on the completion only), or a folder of text files')
  .option('--eval-data <file|dir>', 'held-out data (same forms): its mean loss at the end and every --eval-every steps')
  .option('--eval-every <n>', 'evaluate every n steps', int('--eval-every', 1))
  .option('--seq-len <n>', 'tokens per row (default 128): longer examples are cut, shorter padded', int('--seq-len', 2))
  .option('--pack', 'concatenate the examples and cut them into --seq-len rows instead of padding each')
  .option('--batch-size <n>', 'rows per micro-batch (default 8)', int('--batch-size', 1))
  .option('--grad-accum <n>', 'micro-batches per optimizer step (default 1)', int('--grad-accum', 1))
  .option('--epochs <e>', 'passes over --data (default 1)', num('--epochs'))
  .option('--warmup <n>', 'linear warm-up steps before the cosine decay (default 0)', int('--warmup', 0))
  .option('--min-lr-ratio <r>', 'the cosine decays to r·lr instead of 0 (default 0, as transformers)', num('--min-lr-ratio'))
  .option('--max-grad-norm <g>', 'clip the gradient norm (default 1, as transformers\' Trainer)', num('--max-grad-norm'))
  .option('--seed <n>', 'data order and dropout seed (default 42)', int('--seed', 0))
  .option('--save-every <n>', 'write DIR/checkpoint-<step>/ every n steps (PEFT files + optimizer state, for --resume)', int('--save-every', 1))
  .option('--resume <dir>', 'continue exactly from a checkpoint-<step> folder (same settings)')
  .option('--no-progress', 'a plain line per step instead of the progress bar')
  .option('--batch <file>', 'exact-step mode: safetensors with input_ids, attention_mask, labels (I32 [B,S]; labels -100 = ignored)')
  .addOption(new Option('--optimizer <name>', 'exact-step mode: torch.optim.SGD (no momentum) or torch.optim.AdamW (data mode: AdamW)').choices(['sgd', 'adamw']))
  .option('--lr <lr>', 'learning rate (data mode: peak of the schedule, default 1e-3)', num('--lr'))
  .option('--betas <b1,b2>', 'AdamW betas (default 0.9,0.999)')
  .option('--eps <e>', 'AdamW eps (default 1e-8)', num('--eps'))
  .option('--weight-decay <wd>', 'AdamW decoupled weight decay (default 0.01, as torch)', num('--weight-decay'))
  .option('--steps <n>', 'optimizer steps (data mode: instead of --epochs)', int('--steps', 0))
  .option('--trainable-adapters', 'train the experts\' LoRA A/B too (default: the checkpoint\'s use_trainable_adapters)')
  .option('--routing-weight <w>', 'data mode, not in PEFT: add w × the scalings\' cross-entropy against the experts named by {"segments": [{"text", "expert"}]} lines (default 0)', num('--routing-weight'))
  .requiredOption('--out <dir>', 'checkpoint folder to write after the last step (PEFT format; trained experts in trained-experts/)')
  .option('--loss-out <file>', 'exact-step mode: JSON {"loss": [before step 1, after step 1, ..., after step N]}')
  .option('--grads-out <file>', 'exact-step mode: safetensors, the gradient of every trainable parameter at the initial parameters')
  .addOption(new Option('--backend <name>', 'where to train (backends with gradient kernels)').choices(TRAINING_BACKENDS).default('cpu'))
  .action((opts) => (opts.data !== undefined ? trainDataCommand(opts) : trainCommand(opts)));

program.command('init').description('create a new X-LoRA checkpoint (PEFT format) from a base model and LoRA adapters; the classifier starts as PEFT initialises it (same distribution, our seed)')
  .requiredOption('--model <path>', 'base model folder (config.json, model.safetensors) or .gguf')
  .requiredOption('--adapters <list>', 'experts in class order: NAME=DIR,NAME=DIR or DIR,DIR (paths kept as given: PEFT resolves them against its working directory)')
  .requiredOption('--out <dir>', 'checkpoint folder to write (adapter_config.json + adapter_model.safetensors)')
  .option('--depth <n>', 'xlora_depth: Linear layers in the classifier (default 1)', int('--depth', 1))
  .option('--size <n>', 'xlora_size: hidden width of a deeper classifier (default 2048)', int('--size', 1))
  .option('--layerwise', 'layerwise_scalings: one set of scalings per X-LoRA layer')
  .option('--no-softmax', 'enable_softmax false')
  .option('--softmax-topk', 'enable_softmax_topk: softmax over the top-k only')
  .option('--temperature <t>', 'softmax_temperature (default 1)', num('--temperature'))
  .option('--top-k <k>', 'top_k_lora (default: every expert)', int('--top-k', 1))
  .option('--dropout <p>', 'xlora_dropout_p (default 0.2, as PEFT)', num('--dropout'))
  .option('--trainable-adapters', 'use_trainable_adapters true')
  .option('--scaling-pass-value <v>', 'scaling_pass_value (default 0)', num('--scaling-pass-value'))
  .option('--global-scaling-weight <w>', 'global_scaling_weight (default 1)', num('--global-scaling-weight'))
  .option('--seed <n>', 'seed of the classifier\'s initial draws (default 0)', int('--seed', 0))
  .action((opts) => initCommand({ ...opts, softmax: opts.softmax === false ? false : undefined }));

registerServeCommand(program, { modelOptions, backendOption, epOption, fallbackOption });

program.command('demo').description('the bundled prose/code/math model continues a mixed prompt; bytes coloured by leading expert')
  .option('--prompt <text>', 'prompt', DEMO_PROMPT)
  .option('--max-new-tokens <n>', 'bytes to generate', int('--max-new-tokens', 0), 40)
  .addOption(backendOption())
  .addOption(dtypeOption())
  .action((opts) => demoCommand(opts));

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`xlora: error: ${message.split('\n').join('\n  ')}\n`);
  if (process.env.XLORA_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});

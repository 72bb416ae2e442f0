import { readFile, writeFile } from 'node:fs/promises';
import { InputError, i32, type HostTensor } from '@xlora/core';
import { applyChatTemplate, parseSafetensors } from '@xlora/model';
import { scalingsLogToJson } from '@xlora/scaling-logger';
import { startBackend } from '../lib/backend-choice.js';
import { checkGenerateFlags } from '../lib/generate-options.js';
import { checkOutputPath } from '../lib/output-path.js';
import { expertNames, leader, meanOverLayers, weightBars, colorFor, printable, legend } from '../lib/expert-view.js';
import { loadFromArgs, type ModelArgs } from '../lib/load.js';
import { fromUser } from '../lib/paths.js';

export interface GenerateArgs extends ModelArgs {
  inputs?: string;
  prompt?: string;
  chat?: boolean;
  system?: string;
  maxNewTokens: number;
  out?: string;
  backend: string;
  ep?: string;
  allowFallback?: boolean;
  doSample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  eosTokenId?: number[];
  showScalings?: boolean;
  scalingsOut?: string;
}

/** xlora generate: streams tokens (text when the model has a tokenizer), optionally the experts behind each. */
export async function generateCommand(args: GenerateArgs): Promise<void> {
  checkGenerateFlags(args);
  const outPath = args.out === undefined ? undefined : await checkOutputPath('--out', args.out);
  const scalingsPath = args.scalingsOut === undefined ? undefined : await checkOutputPath('--scalings-out', args.scalingsOut);
  const backend = await startBackend(args.backend, { ep: args.ep, allowFallback: args.allowFallback });
  try {
    const model = await loadFromArgs(args, backend);
    let inputIds: HostTensor;
    let attentionMask: HostTensor | undefined;
    if (args.inputs !== undefined) {
      const path = fromUser(args.inputs);
      const file = parseSafetensors(new Uint8Array(await readFile(path)), path);
      if (!file.names().includes('input_ids')) throw new InputError(`${path}: no tensor named "input_ids" (expected I32 [batch, seq])`);
      inputIds = file.getI32('input_ids');
      if (file.names().includes('attention_mask')) attentionMask = file.getI32('attention_mask');
    } else {
      const tok = model.parts.tokenizer;
      if (!tok) throw new InputError(`--prompt needs a tokenizer.json in ${args.model}; pass token ids with --inputs instead`);
      let ids: number[];
      if (args.chat) {
        const messages = [...(args.system !== undefined ? [{ role: 'system', content: args.system }] : []), { role: 'user', content: args.prompt! }];
        ids = tok.encode(applyChatTemplate(tok, messages), { addSpecialTokens: false });
      } else {
        ids = tok.encode(args.prompt!);
      }
      if (ids.length === 0) throw new InputError(args.chat ? '--chat: the chat template\'s text encodes to no tokens' : emptyPromptMessage(args.prompt!));
      inputIds = i32([1, ids.length], ids);
    }
    const tok = model.parts.tokenizer;
    const names = expertNames(model.parts.xloraConfig.adapters);
    const streamText = tok && inputIds.shape[0] === 1;
    if (args.showScalings) process.stderr.write(`${legend(names)}\n`);
    if (streamText) {
      const promptText = tok!.decode(Array.from(inputIds.data));
      if (args.showScalings) process.stderr.write(`${promptText}\n`);
      else process.stdout.write(promptText);
    }
    model.logger.clear();
    if (args.scalingsOut || args.showScalings) model.logger.enable();
    const generated: number[][] = Array.from({ length: inputIds.shape[0] }, () => []);
    const result = await model.generate(inputIds, {
      maxNewTokens: args.maxNewTokens, attentionMask, doSample: args.doSample, temperature: args.temperature,
      topK: args.topK, topP: args.topP, seed: args.seed, eosTokenIds: args.eosTokenId,
      onToken: (_step, tokens) => {
        tokens.forEach((t, b) => generated[b].push(t));
        const latest = model.logger.latest();
        if (args.showScalings && latest) {
          // the scalings that produced this token were computed at the previous last position
          const weights = meanOverLayers({ dtype: 'f32', shape: latest.shape, data: latest.data }, 0, latest.shape[1] - 1);
          const text = tok ? printable(tok.decode([tokens[0]])) : String(tokens[0]);
          process.stderr.write(`${colorFor(leader(weights))(text.padEnd(6))} ${weightBars(weights, names)}\n`);
        } else if (streamText) {
          process.stdout.write(tok!.decode([tokens[0]]));
        } else {
          process.stdout.write(`${tokens.join(' ')}\n`);
        }
      },
    });
    if (streamText && !args.showScalings) process.stdout.write('\n');
    if (args.showScalings && tok) process.stdout.write(`${tok.decode(result.tokens[0])}\n`);
    if (outPath) await writeFile(outPath, JSON.stringify({ tokens: result.tokens }));
    if (scalingsPath) {
      const tokens = tok ? result.tokens.map((row) => row.map((id) => tok.decode([id]))) : undefined;
      await writeFile(scalingsPath, scalingsLogToJson(model.logger.getLog(), {
        experts: names, layers: model.numLayers, promptLength: inputIds.shape[1], tokens,
      }));
    }
  } finally {
    backend.dispose();
  }
}

/** Like transformers: an empty prompt is fine when the tokenizer adds a BOS token; with no token at all there is nothing to continue. */
function emptyPromptMessage(prompt: string): string {
  return prompt === ''
    ? '--prompt is empty and this tokenizer adds no BOS token, so there is no token to continue from: give some text'
    : `--prompt ${JSON.stringify(prompt.length > 40 ? `${prompt.slice(0, 40)}…` : prompt)} encodes to no tokens: give some text`;
}

import type { ChatMessage, HfTextTokenizer, SamplingOptions } from '@xlora/model';
import { applyChatTemplate } from '@xlora/model';
import { badRequest } from './api-error.js';
import { optionalBool, optionalChoice, optionalInt, optionalNumber, optionalObject, requiredString, stopStrings } from './fields.js';

/** The X-LoRA extension of a request: `"xlora": {...}` (snake_case on the wire). */
export interface XLoraExtension {
  /** null: no top-k (explicitly), undefined: the model's */
  topKLora?: number | null;
  softmaxTopK?: boolean;
  globalScalingWeight?: number;
  scalingPassValue?: number | null;
  freezeScalingsAfter?: number;
  /** per generated token: the experts' weights averaged over layers ("token") or per layer ("layer") */
  returnScalings?: 'token' | 'layer';
  returnTokenIds: boolean;
}

/** A completions or chat request, checked and tokenized. */
export interface ServeRequest {
  kind: 'completion' | 'chat';
  model: string;
  /** one token list per prompt (chat: one) */
  prompts: number[][];
  maxTokens: number;
  sampling: SamplingOptions;
  stop: string[];
  n: number;
  /** alternatives per token to report; undefined: no logprobs */
  logprobs?: number;
  stream: boolean;
  includeUsage: boolean;
  xlora: XLoraExtension;
}

export interface RequestContext {
  tokenizer: HfTextTokenizer | null;
  /** the model's context (max_position_embeddings) */
  context: number;
}

type Obj = Record<string, unknown>;

const UNSUPPORTED_IF_SET: [string, (v: unknown) => boolean][] = [
  ['echo', (v) => v === true], ['suffix', (v) => typeof v === 'string' && v !== ''], ['best_of', (v) => typeof v === 'number' && v > 1],
  ['frequency_penalty', (v) => typeof v === 'number' && v !== 0], ['presence_penalty', (v) => typeof v === 'number' && v !== 0],
  ['logit_bias', (v) => typeof v === 'object' && v !== null && Object.keys(v).length > 0], ['tools', (v) => Array.isArray(v) && v.length > 0],
];

function rejectUnsupported(body: Obj): void {
  for (const [key, isSet] of UNSUPPORTED_IF_SET) if (isSet(body[key])) throw badRequest(`"${key}" is not supported by this server`, key, 'unsupported_parameter');
}

function needTokenizer(ctx: RequestContext, what: string): HfTextTokenizer {
  if (!ctx.tokenizer) throw badRequest(`${what} needs a tokenizer, and the model folder has no tokenizer.json: send "prompt" as token ids`, 'prompt');
  return ctx.tokenizer;
}

function tokenIds(v: unknown, path: string, ctx: RequestContext): number[] {
  if (typeof v === 'string') {
    const ids = needTokenizer(ctx, 'a text prompt').encode(v);
    if (ids.length === 0) throw badRequest(`"${path}" encodes to no tokens (and the tokenizer adds no BOS token): give some text`, path);
    return ids;
  }
  if (Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t))) return v as number[];
  throw badRequest(`"${path}" must be a string, an array of strings, an array of token ids or an array of such arrays`, path, 'invalid_type');
}

function prompts(body: Obj, ctx: RequestContext): number[][] {
  const p = body.prompt;
  if (p === undefined || p === null) throw badRequest('"prompt" is required', 'prompt', 'missing_required_parameter');
  const many = Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'string' || Array.isArray(x));
  const list = many ? (p as unknown[]).map((x, i) => tokenIds(x, `prompt[${i}]`, ctx)) : [tokenIds(p, 'prompt', ctx)];
  return list;
}

function messages(body: Obj): ChatMessage[] {
  const m = body.messages;
  if (!Array.isArray(m) || m.length === 0) throw badRequest('"messages" must be a non-empty array of {role, content}', 'messages', 'invalid_type');
  return m.map((msg, i) => {
    const path = `messages[${i}]`;
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw badRequest(`"${path}" must be an object {role, content}`, path, 'invalid_type');
    const role = requiredString(msg as Obj, 'role', `${path}.role`);
    const content = (msg as Obj).content;
    if (typeof content === 'string') return { role, content };
    if (content === null || content === undefined) return { role, content: '' };
    if (Array.isArray(content) && content.every((part) => typeof part === 'object' && part !== null && (part as Obj).type === 'text' && typeof (part as Obj).text === 'string')) {
      return { role, content: content.map((part) => (part as Obj).text as string).join('') };
    }
    throw badRequest(`"${path}.content" must be a string or an array of {"type": "text", "text": string} parts`, `${path}.content`, 'invalid_type');
  });
}

function xloraExtension(body: Obj): XLoraExtension {
  const x = optionalObject(body, 'xlora', 'xlora') ?? {};
  const ext: XLoraExtension = {
    softmaxTopK: optionalBool(x, 'enable_softmax_topk', 'xlora.enable_softmax_topk'),
    globalScalingWeight: optionalNumber(x, 'global_scaling_weight', 'xlora.global_scaling_weight', -1e6, 1e6),
    freezeScalingsAfter: optionalInt(x, 'freeze_scalings_after', 'xlora.freeze_scalings_after', 1),
    returnScalings: optionalChoice(x, 'return_scalings', 'xlora.return_scalings', ['token', 'layer'] as const),
    returnTokenIds: optionalBool(x, 'return_token_ids', 'xlora.return_token_ids') ?? false,
  };
  // null is meaningful for these two: no top-k; scaling pass value 1/n
  ext.topKLora = x.top_k_lora === null ? null : optionalInt(x, 'top_k_lora', 'xlora.top_k_lora', 1);
  ext.scalingPassValue = x.scaling_pass_value === null ? null : optionalNumber(x, 'scaling_pass_value', 'xlora.scaling_pass_value', -1e6, 1e6);
  return ext;
}

/** POST /v1/completions or /v1/chat/completions body → ServeRequest (400 naming the field on anything wrong). */
export function parseServeRequest(kind: 'completion' | 'chat', body: Obj, ctx: RequestContext): ServeRequest {
  rejectUnsupported(body);
  const model = requiredString(body, 'model', 'model');
  let promptIds: number[][];
  let maxTokens: number | undefined;
  let logprobs: number | undefined;
  if (kind === 'completion') {
    promptIds = prompts(body, ctx);
    maxTokens = optionalInt(body, 'max_tokens', 'max_tokens', 0) ?? 16;
    logprobs = optionalInt(body, 'logprobs', 'logprobs', 0, 5);
  } else {
    const tok = needTokenizer(ctx, 'chat');
    const text = applyChatTemplate(tok, messages(body));
    promptIds = [tok.encode(text, { addSpecialTokens: false })];
    maxTokens = optionalInt(body, 'max_completion_tokens', 'max_completion_tokens', 1) ?? optionalInt(body, 'max_tokens', 'max_tokens', 1) ?? ctx.context;
    const top = optionalInt(body, 'top_logprobs', 'top_logprobs', 0, 20);
    if (optionalBool(body, 'logprobs', 'logprobs')) logprobs = top ?? 0;
    else if (top !== undefined) throw badRequest('"top_logprobs" needs "logprobs": true', 'top_logprobs');
  }
  for (const [i, ids] of promptIds.entries()) {
    if (ids.length >= ctx.context) {
      const param = kind === 'chat' ? 'messages' : promptIds.length > 1 ? `prompt[${i}]` : 'prompt';
      throw badRequest(`this model's context is ${ctx.context} tokens, and the prompt has ${ids.length} tokens: no room for a new token; shorten it by at least ${ids.length - ctx.context + 1} tokens`, param, 'context_length_exceeded');
    }
  }
  const temperature = optionalNumber(body, 'temperature', 'temperature', 0, 2) ?? 1;
  const topP = optionalNumber(body, 'top_p', 'top_p', 0, 1) ?? 1;
  if (topP === 0) throw badRequest('"top_p" must be > 0', 'top_p');
  const seed = optionalInt(body, 'seed', 'seed', -(2 ** 53) + 1) ?? Math.floor(Math.random() * 2 ** 32);
  const streamOptions = optionalObject(body, 'stream_options', 'stream_options') ?? {};
  const stream = optionalBool(body, 'stream', 'stream') ?? false;
  return {
    kind, model, prompts: promptIds, maxTokens,
    sampling: temperature === 0 ? {} : { doSample: true, temperature, topP, seed: seed >>> 0 },
    stop: stopStrings(body, 'stop', 4),
    n: optionalInt(body, 'n', 'n', 1) ?? 1,
    logprobs, stream,
    includeUsage: stream && (optionalBool(streamOptions, 'include_usage', 'stream_options.include_usage') ?? false),
    xlora: xloraExtension(body),
  };
}

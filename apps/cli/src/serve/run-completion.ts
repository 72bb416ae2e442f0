import { randomUUID } from 'node:crypto';
import type { EngineHandle, EngineResult, ServingEngine, TokenEvent } from '@xlora/model';
import { ApiError } from './api-error.js';
import { ChoiceOutput, logprobsObject, xloraObject, type ChoiceFormat, type TokenPiece } from './choice-output.js';
import type { ServeMetrics } from './metrics.js';
import type { ServeRequest } from './serve-request.js';
import type { SseWriter } from './sse.js';

export interface ModelCard {
  id: string;
  created: number;
  experts: readonly string[];
}

export interface RunContext {
  engine: ServingEngine;
  card: ModelCard;
  format: Omit<ChoiceFormat, 'kind' | 'stop' | 'logprobs' | 'scalings' | 'tokenIds'>;
  metrics: ServeMetrics;
  /** aborted when the client goes away or the time limit passes */
  signal: AbortSignal;
  timedOut: () => boolean;
  timeoutSeconds: number;
  /** when the request arrived (performance.now()) */
  arrived: number;
}

export interface RunSummary {
  promptTokens: number;
  completionTokens: number;
  finishReasons: string[];
}

const timeoutError = (s: number) => new ApiError(408, `the request ran longer than the server's time limit of ${s} s (--request-timeout)`, 'timeout_error', null, 'request_timeout');

/**
 * Runs a completions or chat request on the engine: one engine request per prompt (n choices each), every token
 * reported as it comes (a chunk when streaming), then the reply. Returns what the request log and usage need.
 */
export async function runCompletion(req: ServeRequest, ctx: RunContext, sse: SseWriter | null, reply: (body: unknown) => void): Promise<RunSummary> {
  const format: ChoiceFormat = {
    ...ctx.format, kind: req.kind, stop: req.stop, logprobs: req.logprobs !== undefined,
    scalings: req.xlora.returnScalings, tokenIds: req.xlora.returnTokenIds,
  };
  const chat = req.kind === 'chat';
  const id = `${chat ? 'chatcmpl' : 'cmpl'}-${randomUUID().replace(/-/g, '')}`;
  const created = Math.floor(Date.now() / 1000);
  const object = chat ? (sse ? 'chat.completion.chunk' : 'chat.completion') : 'text_completion';
  const header = { id, object, created, model: ctx.card.id };
  const extension = req.xlora.returnScalings ? { xlora: { experts: ctx.card.experts, layers: ctx.format.layers, scalings: req.xlora.returnScalings } } : {};
  const outputs: ChoiceOutput[] = [];
  const lastTokenAt: number[] = [];
  const handles: EngineHandle[] = [];
  const sentText = new Map<number, number>();

  const chunk = (index: number, text: string, pieces: TokenPiece[], finish: string | null) => {
    const first = !sentText.has(index);
    const choice: Record<string, unknown> = { index };
    if (chat) choice.delta = finish !== null && text === '' ? {} : { ...(first ? { role: 'assistant' } : {}), content: text };
    else choice.text = text;
    choice.logprobs = format.logprobs && pieces.length ? logprobsObject(req.kind, pieces, sentText.get(index) ?? 0) : null;
    choice.finish_reason = finish;
    const x = xloraObject(format, pieces);
    if (x && pieces.length) choice.xlora = x;
    sentText.set(index, (sentText.get(index) ?? 0) + text.length);
    sse!.send({ ...header, ...(first ? extension : {}), choices: [choice], ...(req.includeUsage ? { usage: null } : {}) });
  };

  const onToken = (base: number) => (e: TokenEvent) => {
    const index = base + e.choice;
    const out = outputs[index];
    const now = performance.now();
    ctx.metrics.token(now);
    if (lastTokenAt[index] === undefined) ctx.metrics.timeToFirstToken.observe((now - ctx.arrived) / 1000);
    else ctx.metrics.timePerToken.observe((now - lastTokenAt[index]) / 1000);
    lastTokenAt[index] = now;
    const piece = out.push(e);
    if (out.stopped) handles[Math.floor(index / req.n)].finish(e.choice, 'stop');
    if (sse && (piece.text !== '' || piece.logprob || piece.scalings || format.tokenIds)) chunk(index, piece.text, [piece], null);
  };

  if (sse) sse.open();
  const results: Promise<EngineResult>[] = [];
  try {
    req.prompts.forEach((promptIds, p) => {
      for (let c = 0; c < req.n; c++) outputs.push(new ChoiceOutput(format));
      const handle = ctx.engine.submit({
        promptIds, maxNewTokens: req.maxTokens, n: req.n, sampling: { ...req.sampling, ...(req.sampling.seed !== undefined ? { seed: req.sampling.seed + p * req.n } : {}) },
        knobs: { topKLora: req.xlora.topKLora, softmaxTopK: req.xlora.softmaxTopK, globalScalingWeight: req.xlora.globalScalingWeight, scalingPassValue: req.xlora.scalingPassValue },
        freezeScalingsAfter: req.xlora.freezeScalingsAfter, logprobs: req.logprobs, returnScalings: req.xlora.returnScalings !== undefined,
        signal: ctx.signal, onToken: onToken(p * req.n),
      });
      handles.push(handle);
      ctx.metrics.prompt(promptIds.length);
      results.push(handle.result);
    });
  } catch (err) {
    for (const h of handles) for (let c = 0; c < req.n; c++) h.finish(c, 'cancelled');
    await Promise.allSettled(results);
    throw err;
  }
  const done = await Promise.all(results);
  if (ctx.timedOut()) throw timeoutError(ctx.timeoutSeconds);
  const finishReasons: string[] = [];
  const choices = done.flatMap((r, p) => r.choices.map((ch, c) => {
    const index = p * req.n + c;
    const out = outputs[index];
    const rest = out.flush();
    const finish = out.stopped ? 'stop' : ch.finishReason === 'cancelled' ? 'cancelled' : ch.finishReason;
    finishReasons.push(finish);
    return { index, out, rest, finish };
  }));
  const promptTokens = done.reduce((n, r) => n + r.promptTokens, 0);
  const completionTokens = outputs.reduce((n, o) => n + o.pieces.length, 0);
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  if (sse) {
    if (!ctx.signal.aborted) {
      for (const { index, rest, finish } of choices) chunk(index, rest, [], finish);
      if (req.includeUsage) sse.send({ ...header, choices: [], usage });
    }
    sse.done();
  } else {
    reply({
      ...header, ...extension,
      choices: choices.map(({ index, out, finish }) => {
        const base = chat ? { index, message: { role: 'assistant', content: out.text } } : { index, text: out.text };
        const x = xloraObject(format, out.pieces);
        return { ...base, logprobs: format.logprobs ? logprobsObject(req.kind, out.pieces, 0) : null, finish_reason: finish, ...(x ? { xlora: x } : {}) };
      }),
      usage,
    });
  }
  return { promptTokens, completionTokens, finishReasons };
}

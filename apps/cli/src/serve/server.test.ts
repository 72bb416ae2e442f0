import { createCpuBackend } from '@xlora/backend-cpu';
import { i32 } from '@xlora/core';
import { applyChatTemplate, loadXLoraModel, nodeFileSource, tokenLogprobs, type XLoraModel } from '@xlora/model';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoWithChatTemplate, startTestServer } from './test-server.js';

const bytes = (s: string) => [...new TextEncoder().encode(s)];
const text = (ids: number[]) => new TextDecoder().decode(Uint8Array.from(ids));

let dir: string;
let server: Awaited<ReturnType<typeof startTestServer>>;
let client: OpenAI;
let model: XLoraModel; // the reference: the same files, generate() alone

/** generate() alone: new tokens, step logits, and the whole sequence's scalings [1,S,L,C]. */
async function alone(prompt: number[], maxNewTokens: number, extra: { freezeScalingsAfter?: number } = {}) {
  const r = await model.generate(i32([1, prompt.length], prompt), { maxNewTokens, eosTokenIds: [], returnStepLogits: true, ...extra });
  return { tokens: r.tokens[0].slice(prompt.length), logits: r.stepLogits!.map((t) => t.data), scalings: model.getLatestScalings()! };
}

/** Mean over layers of position `pos` of [1,S,L,C] scalings. */
function meanAt(s: { shape: readonly number[]; data: Float32Array }, pos: number): number[] {
  const [, , l, c] = s.shape;
  return Array.from({ length: c }, (_, k) => {
    let sum = 0;
    for (let j = 0; j < l; j++) sum += s.data[(pos * l + j) * c + k];
    return sum / l;
  });
}

beforeAll(async () => {
  dir = demoWithChatTemplate();
  server = await startTestServer(dir);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  model = await loadXLoraModel({ source: nodeFileSource(dir), baseDir: 'base', xloraDir: 'xlora', adapterRoot: '', backend: await createCpuBackend() });
});
afterAll(async () => {
  await server?.close();
});

describe('xlora serve with the openai client (cpu backend, demo model)', { timeout: 180_000 }, () => {
  it('lists the model; completions, streamed and not, equal generate alone', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['xlora']);
    const prompt = 'The cat sat on the';
    const want = await alone(bytes(prompt), 12);
    const r = await client.completions.create({ model: 'xlora', prompt, max_tokens: 12, temperature: 0 });
    expect(r.choices[0].text).toBe(text(want.tokens));
    expect(r.choices[0].finish_reason).toBe('length');
    expect(r.usage).toEqual({ prompt_tokens: bytes(prompt).length, completion_tokens: 12, total_tokens: bytes(prompt).length + 12 });
    const stream = await client.completions.create({ model: 'xlora', prompt, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let streamed = '';
    const finishes: (string | null)[] = [];
    let usage: unknown = null;
    for await (const chunk of stream) {
      for (const c of chunk.choices) { streamed += c.text; finishes.push(c.finish_reason); }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(streamed).toBe(text(want.tokens));
    expect(finishes.at(-1)).toBe('length');
    expect(finishes.slice(0, -1).every((f) => f === null)).toBe(true);
    expect(usage).toEqual(r.usage);
  });

  it('chat completions use the tokenizer\'s chat template, streamed and not', async () => {
    const messages = [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'Say hi' }];
    const ids = bytes(applyChatTemplate(model.parts.tokenizer!, messages));
    expect(text(ids)).toBe('<system>Be brief.\n<user>Say hi\n<assistant>');
    const want = text((await alone(ids, 10)).tokens);
    const r = await client.chat.completions.create({ model: 'xlora', messages, max_tokens: 10, temperature: 0 });
    expect(r.choices[0].message).toMatchObject({ role: 'assistant', content: want });
    expect(r.object).toBe('chat.completion');
    const stream = await client.chat.completions.create({ model: 'xlora', messages, max_completion_tokens: 10, temperature: 0, stream: true });
    let content = '';
    const roles: string[] = [];
    for await (const chunk of stream) {
      const d = chunk.choices[0]?.delta;
      if (d?.role) roles.push(d.role);
      content += d?.content ?? '';
    }
    expect(roles).toEqual(['assistant']);
    expect(content).toBe(want);
  });

  it('X-LoRA extension: per-token scalings in every chunk, top_k_lora, freeze_scalings_after', async () => {
    const prompt = 'def add(a, b):';
    const p = bytes(prompt);
    const want = await alone(p, 8);
    const stream = await client.completions.create({
      model: 'xlora', prompt, max_tokens: 8, temperature: 0, stream: true,
      xlora: { return_scalings: 'token', return_token_ids: true }, // our extension field: the client passes it through
    } as OpenAI.CompletionCreateParamsStreaming);
    const scalings: number[][] = [];
    const ids: number[] = [];
    for await (const chunk of stream) {
      for (const c of chunk.choices as unknown as { xlora?: { scalings: number[][]; token_ids: number[] } }[]) {
        if (c.xlora) { scalings.push(...c.xlora.scalings); ids.push(...c.xlora.token_ids); }
      }
    }
    expect(ids).toEqual(want.tokens);
    expect(scalings).toHaveLength(8);
    scalings.forEach((s, k) => meanAt(want.scalings, p.length + k - 1).forEach((v, c) => expect(Math.abs(s[c] - v)).toBeLessThan(2e-6)));

    const layer = await client.completions.create({
      model: 'xlora', prompt, max_tokens: 3, temperature: 0,
      xlora: { return_scalings: 'layer', top_k_lora: 1, freeze_scalings_after: 2 },
    } as OpenAI.CompletionCreateParamsNonStreaming);
    model.setTopKLora(1);
    const topk = await alone(p, 3, { freezeScalingsAfter: 2 });
    model.setTopKLora(null);
    const x = (layer.choices[0] as unknown as { xlora: { scalings: number[][][] } }).xlora;
    expect(layer.choices[0].text).toBe(text(topk.tokens));
    expect(x.scalings).toHaveLength(3);
    expect(x.scalings[0]).toHaveLength(model.numLayers);
    // frozen after 2 tokens: the third token was produced with the second one's scalings
    expect(x.scalings[2]).toEqual(x.scalings[1]);
    expect((layer as unknown as { xlora: { experts: string[] } }).xlora.experts).toEqual(['prose', 'code', 'math']);
  });

  it('stop strings across token boundaries, logprobs, n with seed', async () => {
    const prompt = 'Once upon a time';
    const want = text((await alone(bytes(prompt), 20)).tokens);
    const stop = want.slice(6, 8); // two byte-tokens
    const cut = want.indexOf(stop);
    const s = await client.completions.create({ model: 'xlora', prompt, max_tokens: 20, temperature: 0, stop: [stop, 'zzz'] });
    expect(s.choices[0]).toMatchObject({ text: want.slice(0, cut), finish_reason: 'stop' });
    const streamed = await client.completions.create({ model: 'xlora', prompt, max_tokens: 20, temperature: 0, stop, stream: true });
    let t = '';
    let finish: string | null = null;
    for await (const c of streamed) { t += c.choices[0]?.text ?? ''; finish = c.choices[0]?.finish_reason ?? finish; }
    expect([t, finish]).toEqual([want.slice(0, cut), 'stop']);

    const ref = await alone(bytes(prompt), 4);
    const lp = await client.completions.create({ model: 'xlora', prompt, max_tokens: 4, temperature: 0, logprobs: 2 });
    const got = lp.choices[0].logprobs!;
    expect(got.tokens).toEqual(ref.tokens.map((id) => text([id])));
    got.token_logprobs!.forEach((v, k) => expect(v).toBeCloseTo(tokenLogprobs(ref.logits[k], ref.tokens[k], 2).logprob, 12));
    expect(Object.keys(got.top_logprobs![0])[0]).toBe(got.tokens![0]); // greedy picks the most likely
    const chat = await client.chat.completions.create({ model: 'xlora', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, temperature: 0, logprobs: true, top_logprobs: 3 });
    expect(chat.choices[0].logprobs!.content).toHaveLength(3);
    expect(chat.choices[0].logprobs!.content![0].top_logprobs).toHaveLength(3);

    const n = await client.completions.create({ model: 'xlora', prompt, max_tokens: 8, temperature: 1.2, seed: 7, n: 2 });
    for (let i = 0; i < 2; i++) {
      const g = await model.generate(i32([1, bytes(prompt).length], bytes(prompt)), { maxNewTokens: 8, eosTokenIds: [], doSample: true, temperature: 1.2, topP: 1, seed: 7 + i });
      expect(n.choices[i].text).toBe(text(g.tokens[0].slice(bytes(prompt).length)));
    }
  });

  it('errors in OpenAI\'s shape: bad JSON, wrong types, context, unknown model, body too large', async () => {
    const post = (body: string, path = '/v1/completions') => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const bad = await post('{"model": "xlora", ');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('not valid JSON') });
    const typed = await post(JSON.stringify({ model: 'xlora', prompt: 'a', max_tokens: '5' }));
    expect(typed.status).toBe(400);
    expect((await typed.json()).error).toMatchObject({ param: 'max_tokens', message: '"max_tokens" must be an integer >= 0, got "5"' });
    const ext = await post(JSON.stringify({ model: 'xlora', prompt: 'a', xlora: { return_scalings: 'all' } }));
    expect((await ext.json()).error).toMatchObject({ param: 'xlora.return_scalings' });
    await expect(client.completions.create({ model: 'xlora', prompt: 'a'.repeat(300), max_tokens: 1 })).rejects.toMatchObject({
      status: 400, code: 'context_length_exceeded', param: 'prompt',
      message: expect.stringContaining("this model's context is 256 tokens, and the prompt has 300 tokens"),
    });
    await expect(client.completions.create({ model: 'gpt-4', prompt: 'a' })).rejects.toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    const big = await post(JSON.stringify({ model: 'xlora', prompt: 'a'.repeat(2 << 20) }));
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('body_too_large');
    expect((await fetch(`${server.url}/v1/nothing`)).status).toBe(404);
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', running: 0, queued: 0 });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    for (const name of ['xlora_queue_depth 0', 'xlora_running_sequences 0', 'xlora_tokens_per_second', 'xlora_time_to_first_token_seconds_bucket{le="+Inf"}', 'xlora_time_per_output_token_seconds_count', 'xlora_requests_total{code="400"}']) {
      expect(metrics).toContain(name);
    }
    expect(server.logs.some((l) => /^POST \/v1\/completions 400 \d+ms error=/.test(l))).toBe(true);
  });

  it('a client that goes away cancels its generation', async () => {
    const controller = new AbortController();
    const stream = await client.completions.create({ model: 'xlora', prompt: 'abc', max_tokens: 200, temperature: 0, stream: true }, { signal: controller.signal });
    let chunks = 0;
    for await (const _ of stream) {
      if (++chunks === 3) {
        controller.abort();
        break;
      }
    }
    // the engine drops the sequence at its next step
    for (let i = 0; i < 100; i++) {
      const h = await (await fetch(`${server.url}/health`)).json();
      if (h.running === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const h = await (await fetch(`${server.url}/health`)).json();
    expect(h.running).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    const line = server.logs.find((l) => l.includes(' 499 '));
    expect(line).toMatch(/finish=cancelled/);
    expect(Number(/completion=(\d+)/.exec(line!)![1])).toBeLessThan(200);
  });
});

describe('xlora serve limits', { timeout: 180_000 }, () => {
  it('API key: missing or wrong is 401, right is served', async () => {
    const s = await startTestServer(dir, { apiKey: 'sekrit' });
    try {
      const noKey = await fetch(`${s.url}/v1/models`);
      expect(noKey.status).toBe(401);
      expect((await noKey.json()).error.code).toBe('invalid_api_key');
      await expect(new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'wrong', maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 });
      const ok = await new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'sekrit', maxRetries: 0 }).models.list();
      expect(ok.data[0].id).toBe('xlora');
      expect((await fetch(`${s.url}/health`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('a full queue answers 429 with Retry-After; shutdown lets running requests finish, then stops listening', async () => {
    const s = await startTestServer(dir, { maxBatch: 1, maxQueue: 1, shutdownTimeout: 60 });
    const c = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const health = async () => (await fetch(`${s.url}/health`)).json();
    const until = async (ok: (h: { running: number; queued: number }) => boolean) => {
      for (let i = 0; i < 200 && !ok(await health()); i++) await new Promise((r) => setTimeout(r, 10));
    };
    const running = c.completions.create({ model: 'xlora', prompt: 'abc', max_tokens: 200, temperature: 0 });
    await until((h) => h.running === 1);
    const queued = c.completions.create({ model: 'xlora', prompt: 'abd', max_tokens: 200, temperature: 0 });
    await until((h) => h.queued === 1);
    const full = await fetch(`${s.url}/v1/completions`, { method: 'POST', body: JSON.stringify({ model: 'xlora', prompt: 'x', max_tokens: 1 }) });
    expect(full.status).toBe(429);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await full.json()).error.code).toBe('queue_full');
    const closed = s.close();
    const [a, b] = await Promise.all([running, queued]);
    expect([a.choices[0].finish_reason, b.choices[0].finish_reason]).toEqual(['length', 'length']);
    expect(a.choices[0].text).toHaveLength(200);
    expect((await fetch(`${s.url}/health`).catch(() => null))?.status ?? 503).toBe(503);
    await closed;
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  });
});

import { createCpuBackend } from '@xlora/backend-cpu';
import { i32, InputError } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { DEMO_MODEL } from '../loading/test-helpers.js';
import { nodeFileSource } from '../loading/index.js';
import { loadXLoraModel } from '../xlora/load-model.js';
import type { BatchStepInput, XLoraModel } from '../xlora/xlora-model.js';
import { ServingEngine } from './engine.js';
import { EngineClosedError, QueueFullError } from './errors.js';
import { tokenLogprobs } from './logprobs.js';
import type { EngineRequest, TokenEvent } from './request.js';

const loadDemo = async () => loadXLoraModel({
  source: nodeFileSource(DEMO_MODEL), baseDir: 'base', xloraDir: 'xlora', adapterRoot: '', backend: await createCpuBackend(),
});
const bytes = (s: string) => [...new TextEncoder().encode(s)];
const PROMPTS = ['The cat sat on the', 'def add(a, b):\n    return', '12 + 30 =', 'Once', 'for i in range(10):', 'x'];

/** The batch size of every runStep call (prefills have S > 1). */
function recordSteps(model: XLoraModel): { mode: string; batch: number; seq: number }[] {
  const seen: { mode: string; batch: number; seq: number }[] = [];
  const run = model.runStep.bind(model);
  model.runStep = (input: BatchStepInput) => {
    seen.push({ mode: input.mode, batch: input.inputIds.shape[0], seq: input.inputIds.shape[1] });
    return run(input);
  };
  return seen;
}

/** What generate gives the request alone: tokens, and each step's logits row. */
async function alone(model: XLoraModel, prompt: number[], maxNewTokens: number, extra: { freezeScalingsAfter?: number } = {}) {
  const r = await model.generate(i32([1, prompt.length], prompt), { maxNewTokens, eosTokenIds: [], returnStepLogits: true, ...extra });
  return { tokens: r.tokens[0].slice(prompt.length), logits: r.stepLogits!.map((t) => t.data), scalings: model.getLatestScalings()! };
}

function collect(request: EngineRequest) {
  const events: TokenEvent[] = [];
  const onToken = (e: TokenEvent): void => { events.push(e); };
  return { request: { ...request, onToken }, events };
}

describe('ServingEngine (cpu backend, demo model)', { timeout: 120_000 }, () => {
  it('greedy results of requests that join and leave a running batch equal each request generated alone, logits bit for bit', async () => {
    const model = await loadDemo();
    const engine = new ServingEngine(model, { maxBatch: 4, prefillTokensPerStep: 16 });
    const steps = recordSteps(model);
    const lengths = [9, 3, 14, 6, 11, 5];
    const runs = PROMPTS.map((p, i) => collect({ promptIds: bytes(p), maxNewTokens: lengths[i], logprobs: 2, returnScalings: true, eosTokenIds: [] }));
    // three now, the others once the first has two tokens (they join a running batch)
    let late: Promise<unknown>[] = [];
    const onToken = runs[0].request.onToken;
    runs[0].request.onToken = (e) => {
      onToken(e);
      if (e.index === 1) late = runs.slice(3).map((r) => engine.submit(r.request).result);
    };
    const early = runs.slice(0, 3).map((r) => engine.submit(r.request).result);
    await Promise.all(early);
    const results = (await Promise.all([...early, ...late])) as Awaited<typeof early[0]>[];
    await engine.close();
    expect(Math.max(...steps.filter((s) => s.seq === 1).map((s) => s.batch))).toBe(4); // maxBatch reached
    expect(steps.some((s) => s.seq === 1 && s.batch === 2)).toBe(true);

    for (let i = 0; i < PROMPTS.length; i++) {
      const prompt = bytes(PROMPTS[i]);
      const want = await alone(model, prompt, lengths[i]);
      expect(results[i].choices[0].tokens, PROMPTS[i]).toEqual(want.tokens);
      expect(results[i].choices[0].finishReason).toBe('length');
      expect(runs[i].events.map((e) => e.token)).toEqual(want.tokens);
      const [, , l, c] = want.scalings.shape;
      runs[i].events.forEach((e, k) => {
        // logprobs of the same logits: equal bit for bit only if the batched logits are
        const lp = tokenLogprobs(want.logits[k], e.token, 2);
        expect(e.logprob).toBe(lp.logprob);
        expect(e.topLogprobs).toEqual(lp.top);
        // the scalings that produced token k: generate's scalings at position prompt + k − 1
        const pos = prompt.length + k - 1;
        expect(Array.from(e.scalings!)).toEqual(Array.from(want.scalings.data.subarray(pos * l * c, (pos + 1) * l * c)));
      });
    }
  });

  it('frozen scalings: sequences of different knobs still batch per graph and equal generate alone', async () => {
    const model = await loadDemo();
    const engine = new ServingEngine(model, { maxBatch: 8 });
    const steps = recordSteps(model);
    const frozenReqs = PROMPTS.slice(0, 4).map((p, i) => ({ promptIds: bytes(p), maxNewTokens: 8 + i, freezeScalingsAfter: 2 + (i % 2), eosTokenIds: [] }));
    // top-k 1 only changes the exact steps; once frozen it shares the graph of the others (same global weight)
    const topk = { promptIds: bytes(PROMPTS[4]), maxNewTokens: 8, freezeScalingsAfter: 2, eosTokenIds: [], knobs: { topKLora: 1 } };
    const exact = { promptIds: bytes(PROMPTS[5]), maxNewTokens: 8, eosTokenIds: [] };
    const results = await Promise.all([...frozenReqs, topk, exact].map((r) => engine.submit(r).result));
    await engine.close();
    for (let i = 0; i < 4; i++) {
      const want = await alone(model, frozenReqs[i].promptIds, frozenReqs[i].maxNewTokens, { freezeScalingsAfter: frozenReqs[i].freezeScalingsAfter });
      expect(results[i].choices[0].tokens).toEqual(want.tokens);
    }
    model.setTopKLora(1);
    expect(results[4].choices[0].tokens).toEqual((await alone(model, topk.promptIds, 8, { freezeScalingsAfter: 2 })).tokens);
    model.setTopKLora(null);
    expect(results[5].choices[0].tokens).toEqual((await alone(model, exact.promptIds, 8)).tokens);
    // all five frozen sequences ran one frozen step together
    expect(Math.max(...steps.filter((s) => s.mode === 'frozen').map((s) => s.batch))).toBe(5);
  });

  it('n choices share one prefill; choice i samples like generate with seed + i', async () => {
    const model = await loadDemo();
    const engine = new ServingEngine(model);
    const steps = recordSteps(model);
    const prompt = bytes(PROMPTS[0]);
    const sampling = { doSample: true, temperature: 1.3, topP: 0.9, seed: 5 };
    const r = await engine.submit({ promptIds: prompt, maxNewTokens: 10, n: 3, sampling, eosTokenIds: [] }).result;
    await engine.close();
    expect(steps.filter((s) => s.seq > 1)).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      const g = await model.generate(i32([1, prompt.length], prompt), { maxNewTokens: 10, eosTokenIds: [], ...sampling, seed: 5 + i });
      expect(r.choices[i].tokens).toEqual(g.tokens[0].slice(prompt.length));
    }
    expect(r.choices[0].tokens).not.toEqual(r.choices[1].tokens);
  });

  it('stops at eos and at finish(), cancels on abort without disturbing the others', async () => {
    const model = await loadDemo();
    const engine = new ServingEngine(model);
    const prompt = bytes(PROMPTS[0]);
    const want = (await alone(model, prompt, 12)).tokens;
    const eosRun = engine.submit({ promptIds: prompt, maxNewTokens: 12, eosTokenIds: [want[4]] }).result;
    const abort = new AbortController();
    let stopHandle: ReturnType<ServingEngine['submit']> | null = null;
    const stopped = collect({ promptIds: prompt, maxNewTokens: 12, eosTokenIds: [] });
    stopped.request.onToken = (e) => { if (e.index === 2) stopHandle!.finish(0); };
    stopHandle = engine.submit(stopped.request);
    const cancelled = collect({ promptIds: prompt, maxNewTokens: 200, eosTokenIds: [], signal: abort.signal });
    cancelled.request.onToken = (e) => { if (e.index === 3) abort.abort(); };
    const plain = engine.submit({ promptIds: prompt, maxNewTokens: 12, eosTokenIds: [] }).result;
    const c = await engine.submit(cancelled.request).result;
    expect(c.choices[0].finishReason).toBe('cancelled');
    expect(c.choices[0].tokens).toEqual(want.slice(0, 4));
    const e = await eosRun;
    expect(e.choices[0]).toEqual({ tokens: want.slice(0, want.indexOf(want[4]) + 1), finishReason: 'stop' });
    expect((await stopHandle.result).choices[0]).toEqual({ tokens: want.slice(0, 3), finishReason: 'stop' });
    expect((await plain).choices[0].tokens).toEqual(want);
    await engine.close();
    expect(engine.stats()).toMatchObject({ queued: 0, running: 0, groups: 0 });
  });

  it('bounded queue, context and vocabulary checks, and shutdown', async () => {
    const model = await loadDemo();
    const roomy = new ServingEngine(model);
    const cut = await roomy.submit({ promptIds: new Array(250).fill(65), maxNewTokens: 10 }).result;
    await roomy.close();
    expect(cut.choices[0]).toMatchObject({ finishReason: 'length', tokens: { length: 6 } });
    expect(cut.notes).toEqual(["max_new_tokens 10 cut to 6: the prompt has 250 tokens and the model's context is 256 positions (max_position_embeddings in config.json)"]);
    const engine = new ServingEngine(model, { maxBatch: 1, maxQueue: 2 });
    const long = { promptIds: bytes('abc'), maxNewTokens: 40, eosTokenIds: [] };
    const first = engine.submit(long).result;
    await new Promise((resolve) => setTimeout(resolve, 20)); // running: the queue is empty again
    const queued = [engine.submit(long).result, engine.submit(long).result];
    expect(() => engine.submit(long)).toThrow(QueueFullError);
    expect(() => engine.submit({ promptIds: new Array(300).fill(65), maxNewTokens: 1 })).toThrow(/the prompt has 300 tokens and the model's context is 256 positions/);
    expect(() => engine.submit({ promptIds: [65, 256], maxNewTokens: 1 })).toThrow(InputError);
    expect(() => engine.submit({ promptIds: [65], maxNewTokens: 1, knobs: { topKLora: 4 } })).toThrow(/at most the number of experts \(3\)/);
    // close: no new requests; what does not finish in time is cancelled
    const closing = engine.close(1);
    expect(() => engine.submit(long)).toThrow(EngineClosedError);
    await closing;
    const done = await Promise.all([first, ...queued]);
    expect(done.map((d) => d.choices[0].finishReason)).toContain('cancelled');
    expect(engine.stats()).toMatchObject({ queued: 0, running: 0, groups: 0 });
  });
});

import { i32, InputError } from '@xlora/core';
import { XLoraModel, type GenerateOptions, type GenerateResult, type ModelMode } from '@xlora/model';
import { expect, it } from 'vitest';
import type { SuiteTarget } from './op-suite.js';
import { fixtureSuite } from './xlora-suites.js';

/** Two rows of four tokens of the PEFT fixture (vocab 128, context 128). */
const PROMPT = i32([2, 4], [8, 71, 116, 26, 3, 9, 27, 5]);

/** Rejects with an InputError whose message contains `text`. */
async function rejectsWith(call: () => Promise<unknown>, text: string): Promise<void> {
  const err = await call().then(() => null, (e: unknown) => e);
  expect(err, `expected an InputError containing ${JSON.stringify(text)}`).toBeInstanceOf(InputError);
  expect((err as Error).message).toContain(text);
}

/**
 * Bad input is refused above the backends, so every backend gives the same error before running anything:
 * ids outside the vocabulary, empty inputs, bad masks and positions, sequences beyond the model's context.
 */
export function inputValidationSuite(target: SuiteTarget): void {
  fixtureSuite('input validation', target, ({ withCase }) => {
    it('token ids, shapes, masks and positions get the same error on every backend', () => withCase('a_default', async (model) => {
      await rejectsWith(() => model.forward(i32([1, 3], [5, -1, 7])), 'input_ids: token id -1 at [0, 1] is outside the vocabulary [0, 128) (vocab_size in config.json)');
      await rejectsWith(() => model.forward(i32([1, 2], [128, 0])), 'input_ids: token id 128 at [0, 0] is outside the vocabulary [0, 128)');
      await rejectsWith(() => model.generate(i32([1, 1], [2 ** 31 - 1]), { maxNewTokens: 1 }), 'token id 2147483647');
      await rejectsWith(() => model.forward(i32([1, 0], [])), 'input_ids has shape [1,0]: it needs at least one row and one token');
      await rejectsWith(() => model.generate(i32([0, 4], []), { maxNewTokens: 1 }), 'input_ids has shape [0,4]');
      await rejectsWith(() => model.forward({ dtype: 'i32', shape: [1, 3], data: new Int32Array(2) }), 'holds 2 values, expected 3');
      await rejectsWith(() => model.forward(PROMPT, { attentionMask: i32([2, 4], [1, 1, 1, 1, 1, 2, 1, 1]) }), 'attention_mask: value 2 at [1, 1], expected 0 (padding) or 1 (token)');
      await rejectsWith(() => model.generate(PROMPT, { maxNewTokens: 1, attentionMask: i32([2, 4], [1, 1, 1, 1, 0, 0, 0, 0]) }), 'attention_mask: row 1 is all padding');
      await rejectsWith(() => model.forward(PROMPT, { positionIds: i32([2, 4], [0, 1, 2, 3, 0, 1, 2, 128]) }), "position_ids: position 128 at [1, 3] is outside the model's context [0, 128)");
      await rejectsWith(() => model.forward(PROMPT, { positionIds: i32([2, 4], [0, 1, 2, -3, 0, 1, 2, 3]) }), 'position_ids: position -3 at [0, 3]');
      await rejectsWith(() => model.generate(PROMPT, { maxNewTokens: 1.5 }), 'maxNewTokens must be an integer >= 0, got 1.5');
      await rejectsWith(() => model.generate(PROMPT, { maxNewTokens: 2 ** 64 }), 'maxNewTokens must be an integer >= 0');
      return [];
    }), 300_000);

    it('sequences are checked against max_position_embeddings; max_new_tokens is cut to the context with a note', () => withCase('a_default', async (model) => {
      await rejectsWith(() => model.forward(i32([1, 129], new Int32Array(129).fill(3))),
        "input_ids has 129 tokens per row, more than the model's context of 128 positions (max_position_embeddings in config.json)");
      await rejectsWith(() => model.generate(i32([1, 128], new Int32Array(128).fill(3)), { maxNewTokens: 1 }),
        "the prompt has 128 tokens and the model's context is 128 positions (max_position_embeddings in config.json): 0 positions are left for new tokens; shorten the prompt by at least 1 tokens");
      const long = new Int32Array(1_000_000).fill(3); // refused at once, before any memory is spent on it
      await rejectsWith(() => model.generate(i32([1, long.length], long), { maxNewTokens: 1 }), 'the prompt has 1000000 tokens');

      // a context of 8 positions: a 4-token prompt leaves 4 new tokens
      const small = new XLoraModel({ ...model.parts, baseConfig: { ...model.parts.baseConfig, maxPositionEmbeddings: 8 } }, model.backend);
      const notes: string[] = [];
      const cut = await small.generate(PROMPT, { maxNewTokens: 1_000_000_000, eosTokenIds: [], onNote: (n) => notes.push(n) });
      const want = 'max_new_tokens 1000000000 cut to 4: the prompt has 4 tokens and the model\'s context is 8 positions (max_position_embeddings in config.json)';
      expect(notes).toEqual([want]);
      expect(cut.notes).toEqual([want]);
      expect(cut.tokens.map((r) => r.length)).toEqual([8, 8]);
      const exact = await model.generate(PROMPT, { maxNewTokens: 4, eosTokenIds: [] });
      expect(cut.tokens).toEqual(exact.tokens); // the same tokens: only the length was bounded
      expect((await small.generate(PROMPT, { maxNewTokens: 4, eosTokenIds: [] })).notes).toEqual([]);
      small.dispose();
      return [];
    }), 300_000);
  });
}

/** What a checked call returns: its tokens (generate) and every logit it produced. */
interface JobResult {
  tokens?: number[][];
  values: Float32Array;
}

/** One call of the concurrency check. */
interface Job {
  name: string;
  run: (model: XLoraModel) => Promise<JobResult>;
}

const flat = (r: GenerateResult) => {
  const steps = r.stepLogits ?? [];
  const out = new Float32Array(steps.reduce((n, t) => n + t.data.length, 0));
  let at = 0;
  for (const t of steps) { out.set(t.data, at); at += t.data.length; }
  return out;
};

function generateJob(name: string, mode: ModelMode, extra: Partial<GenerateOptions> = {}): Job {
  return {
    name,
    run: async (model) => {
      const r = await model.generate(PROMPT, { maxNewTokens: 5, eosTokenIds: [], returnStepLogits: true, mode, ...extra });
      return { tokens: r.tokens, values: flat(r) };
    },
  };
}

function forwardJob(name: string, mode: ModelMode): Job {
  return { name, run: async (model) => ({ values: (await model.forward(PROMPT, { mode })).logits.data }) };
}

const JOBS: Job[] = [
  generateJob('generate xlora', 'xlora'),
  generateJob('generate base', 'base'),
  generateJob('generate expert 0', { expert: 0 }),
  generateJob('generate xlora, frozen after 2', 'xlora', { freezeScalingsAfter: 2 }),
  forwardJob('forward xlora', 'xlora'),
  forwardJob('forward expert 2', { expert: 2 }),
];

/** Max |a − b|, or Infinity when the lengths differ. */
function maxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function sameResult(name: string, got: JobResult, alone: JobResult): string[] {
  const problems: string[] = [];
  if (JSON.stringify(got.tokens) !== JSON.stringify(alone.tokens)) problems.push(`${name}: tokens ${JSON.stringify(got.tokens)} differ from alone ${JSON.stringify(alone.tokens)}`);
  const d = maxDiff(got.values, alone.values);
  // the same graph on the same backend: concurrency must not change a single value
  if (d > 1e-6) problems.push(`${name}: values differ from the call alone by ${d}`);
  return problems;
}

/**
 * Concurrent forward/generate calls and knob changes on one model give each call the result it has alone, on every
 * backend; knob changes apply to calls started after them; nothing in flight is disposed (even with the compiled
 * graph cache at its minimum of 2, fewer than the graphs in use).
 */
export function concurrencySuite(target: SuiteTarget): void {
  fixtureSuite('concurrency', target, ({ withCase }) => {
    it('six concurrent calls in six modes equal the same calls one at a time', () => withCase('a_default', async (model) => {
      const alone: JobResult[] = [];
      for (const job of JOBS) alone.push(await job.run(model));
      const tight = new XLoraModel(model.parts, model.backend, { maxCompiledGraphs: 2 });
      const together = await Promise.all(JOBS.map((job) => job.run(tight)));
      const again = await Promise.all([...JOBS].reverse().map((job) => job.run(tight))); // other interleavings, warm cache
      tight.dispose();
      return JOBS.flatMap((job, i) => [
        ...sameResult(job.name, together[i], alone[i]),
        ...sameResult(`${job.name} (reversed)`, again[JOBS.length - 1 - i], alone[i]),
      ]);
    }), 600_000);

    it('a knob change during a generate applies to calls started after it, not to the one in flight', () => withCase('c_topk2_softmax_topk', async (model) => {
      const run = (m: XLoraModel, extra: Partial<GenerateOptions> = {}) => generateJob('', 'xlora', extra).run(m);
      const denseAlone = await run(model);
      const forwardDense = (await model.forward(PROMPT)).logits.data;
      model.setTopKLora(1);
      model.setGlobalScalingWeight(1.5);
      const top1Alone = await run(model);
      const forwardTop1 = (await model.forward(PROMPT)).logits.data;
      model.setTopKLora(2);
      model.setGlobalScalingWeight(1);

      const live = new XLoraModel(model.parts, model.backend, { maxCompiledGraphs: 2 });
      let later: Promise<JobResult> | null = null;
      let laterForward: Promise<Float32Array> | null = null;
      const inFlight = run(live, {
        onToken: (step) => {
          if (step !== 1) return;
          live.setTopKLora(1);
          live.setGlobalScalingWeight(1.5);
          later = run(live);
          laterForward = live.forward(PROMPT).then((r) => r.logits.data);
        },
      });
      const first = await inFlight;
      const problems = [
        ...sameResult('generate started before the change', first, denseAlone),
        ...sameResult('generate started after the change', await later!, top1Alone),
        ...sameResult('forward started after the change', { values: await laterForward! }, { values: forwardTop1 }),
      ];
      if (maxDiff(forwardDense, forwardTop1) < 1e-3) problems.push('top-1 × 1.5 should change the logits: the check would not see a knob leak');
      live.dispose();
      return problems;
    }), 600_000);
  });
}

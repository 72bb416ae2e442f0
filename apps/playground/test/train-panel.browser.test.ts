/**
 * The train panel in a real browser: builds the site, drives Debian's Chromium, loads the bundled demo on the CPU
 * backend, trains the classifier a few steps on a pasted paragraph, then checks the downloaded checkpoint in Node
 * with @xlora/model: it loads, its classifier differs from the demo's, and its eval-mode loss on the same windows
 * (computed here, independently of the page) is lower than the demo classifier's. And trains on WebGPU in the page:
 * its losses equal the same steps on the cpu backend in Node.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@xlora/backend-cpu';
import { i32 } from '@xlora/core';
import { AdamW, ADAMW_DEFAULTS, loadXLoraModel, nodeFileSource, warmupCosineLr, XLoraTrainer, type XLoraModel } from '@xlora/model';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textWindows, windowBatch } from '../src/worker/training-windows.js';
import { APP_DIR, buildSite } from './build-site.js';
import { serveStatic, type StaticServer } from './static-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const MODEL_DIR = join(APP_DIR, '../../models/xlora-demo');
const RESULTS = join(APP_DIR, 'test-results');

const PARAGRAPH =
  'Every spring the village held a small fair by the river. Children ran between the stalls, and the old baker ' +
  'sold bread that was still warm. People talked about the weather, the harvest and the news from the city, and ' +
  'nobody was in a hurry to go home before the sun went down behind the hills.';
const STEPS = 8;
const SEQ_LEN = 64;
const BATCH = 8; // every window of the paragraph in each step

if (!HAVE_CHROMIUM && IN_CI) {
  describe('train panel in Chromium', () => {
    it('needs Chromium', () => {
      throw new Error(`Chromium not found at ${CHROMIUM}: CI must install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
    });
  });
} else if (!HAVE_CHROMIUM) {
  describe('train panel in Chromium', () => {
    it.skip(`skipped: Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`, () => {});
  });
} else {
  describe('train panel in Chromium', () => {
    let server: StaticServer;
    let browser: Browser;
    let work: string;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'xlora-train-panel-test-'));
      mkdirSync(RESULTS, { recursive: true });
      const dist = join(work, 'dist');
      await buildSite(dist);
      server = await serveStatic(dist, {});
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
          '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
      });
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    const waitState = (page: Page, state: string, timeout = 170_000) =>
      page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout });

    const download = async (page: Page, button: string): Promise<Buffer> => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      return readFileSync((await file.path())!);
    };

    /** The paragraph into the train panel's text, then the given settings (#train-<name>); the others keep their defaults. */
    const fillTrainForm = async (page: Page, settings: Partial<Record<'steps' | 'seq' | 'batch' | 'lr' | 'warmup', number>>) => {
      await page.fill('#train-text', PARAGRAPH);
      for (const [name, value] of Object.entries(settings)) await page.fill(`#train-${name}`, String(value));
    };

    /** Eval-mode loss of `model`'s classifier on the paragraph's windows (no dropout: comparable across checkpoints). */
    async function evalLoss(model: XLoraModel): Promise<number> {
      const w = textWindows(model.parts.tokenizer!.encode(PARAGRAPH), SEQ_LEN, model.parts.padTokenId ?? 0);
      const backend = await createCpuBackend();
      const trainer = await XLoraTrainer.create(model.parts, backend, { mode: 'eval' });
      try {
        const shape = [w.rows, w.seqLen];
        return await trainer.loss({ inputIds: i32(shape, w.inputIds), attentionMask: i32(shape, w.attentionMask), labels: i32(shape, w.labels) });
      } finally {
        trainer.dispose();
        backend.dispose();
      }
    }

    it('trains on WebGPU (SwiftShader here): the page\'s losses are the same steps computed on the cpu backend in Node', async (ctx) => {
      const steps = 2, seqLen = 32, batch = 2, lr = 0.005;
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}?backend=cpu`);
      const adapter = await page.evaluate(async () => !!(await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter()));
      if (!adapter) ctx.skip(true, 'this Chromium has no WebGPU adapter (navigator.gpu.requestAdapter() gave none)');
      await waitState(page, 'ready');
      await fillTrainForm(page, { steps, seq: seqLen, batch, lr, warmup: 0 });
      await page.selectOption('#train-backend', 'webgpu');
      await page.click('#train-button');
      await waitState(page, 'training', 10_000);
      await waitState(page, 'ready', 400_000);
      expect(await page.isHidden('#error-box'), (await page.textContent('#error-box')) ?? '').toBe(true);
      expect(await page.textContent('#train-status')).toMatch(new RegExp(`^done: ${steps} steps in `));
      const losses = JSON.parse((await page.getAttribute('#loss-plot', 'data-losses'))!) as number[];
      expect(errors).toEqual([]);
      await context.close();

      // the same steps in Node on the cpu backend: the page's windows, AdamW defaults, seeds 0, 1, clip 1
      const backend = await createCpuBackend();
      const model = await loadXLoraModel({
        source: nodeFileSource('/'), baseDir: join(MODEL_DIR, 'base'), xloraDir: join(MODEL_DIR, 'xlora'), adapterRoot: MODEL_DIR, backend, onNotice: () => {},
      });
      const trainer = await XLoraTrainer.create(model.parts, backend, { trainableAdapters: false });
      try {
        const windows = textWindows(model.parts.tokenizer!.encode(PARAGRAPH), seqLen, model.parts.padTokenId ?? 0);
        const optimizer = new AdamW(ADAMW_DEFAULTS);
        const lrAt = warmupCosineLr(lr, 0, steps);
        const want: number[] = [];
        for (let step = 0; step < steps; step++) {
          const w = windowBatch(windows, step * batch, batch);
          const shape = [w.rows, w.seqLen];
          const b = { inputIds: i32(shape, w.inputIds), attentionMask: i32(shape, w.attentionMask), labels: i32(shape, w.labels) };
          want.push((await trainer.step(optimizer, lrAt(step), b, { seed: step, maxGradNorm: 1 })).loss);
        }
        console.log(`train panel on webgpu: losses ${losses.map((l) => l.toFixed(6)).join(' ')}; cpu in Node ${want.map((l) => l.toFixed(6)).join(' ')}`);
        expect(losses).toHaveLength(steps);
        for (let i = 0; i < steps; i++) expect(Math.abs(losses[i] - want[i]), `step ${i + 1}`).toBeLessThan(1e-4);
      } finally {
        trainer.dispose();
        model.dispose();
        backend.dispose();
      }
    }, 500_000);

    it('stops a running training with Stop training and still offers the checkpoint of the steps done', async () => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}?backend=cpu`);
      await waitState(page, 'ready');
      await fillTrainForm(page, { steps: 500, batch: 1 });
      await page.click('#train-button');
      await page.waitForFunction(() => Number(document.querySelector('#loss-plot svg')?.getAttribute('data-points')) >= 2, undefined, { timeout: 170_000 });
      await page.click('#train-stop');
      await waitState(page, 'ready');
      const done = JSON.parse((await page.getAttribute('#loss-plot', 'data-losses'))!).length as number;
      expect(done).toBeGreaterThanOrEqual(2);
      expect(done).toBeLessThan(500);
      expect(await page.textContent('#train-status')).toMatch(new RegExp(`^stopped after ${done} steps in `));
      expect(await page.isVisible('#download-weights')).toBe(true);
      // the page is usable again: Generate and Train are enabled
      expect(await page.isDisabled('#generate-button')).toBe(false);
      expect(await page.isDisabled('#train-button')).toBe(false);
      expect(errors).toEqual([]);
      await context.close();
    });

    it('trains the demo classifier on a pasted paragraph: loss falls, the checkpoint downloads and loads in Node', async () => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}?backend=cpu`);
      await waitState(page, 'ready');

      await fillTrainForm(page, { steps: STEPS, seq: SEQ_LEN, batch: BATCH, lr: 0.005, warmup: 0 });
      await page.click('#train-button');
      await waitState(page, 'training', 10_000);
      // the curve grows while training runs
      await page.waitForFunction(() => Number(document.querySelector('#loss-plot svg')?.getAttribute('data-points')) >= 2, undefined, { timeout: 170_000 });
      expect(await page.isDisabled('#train-stop')).toBe(false);
      await waitState(page, 'ready');
      expect(await page.isHidden('#error-box'), (await page.textContent('#error-box')) ?? '').toBe(true);

      const losses = JSON.parse((await page.getAttribute('#loss-plot', 'data-losses'))!) as number[];
      expect(losses).toHaveLength(STEPS);
      expect(losses.every(Number.isFinite)).toBe(true);
      // train-mode losses carry dropout noise: compare the mean of the last three with the first
      const tailMean = (losses[STEPS - 1] + losses[STEPS - 2] + losses[STEPS - 3]) / 3;
      expect(tailMean).toBeLessThan(losses[0]);
      expect(await page.textContent('#train-status')).toMatch(new RegExp(`^done: ${STEPS} steps in .* · loss \\d`));
      expect(await page.getAttribute('#loss-plot svg', 'data-points')).toBe(String(STEPS));

      // before / after heatmaps of the same text: the first 96 tokens (bytes) of the paragraph, 3 experts
      for (const id of ['#train-heat-before', '#train-heat-after']) {
        expect(await page.locator(`${id} > svg`).getAttribute('data-rows')).toBe('96');
        expect(await page.locator(`${id} > svg`).getAttribute('data-cols')).toBe('3');
      }
      const cells = async (id: string) => page.locator(`${id} rect.cell`).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
      const before = await cells('#train-heat-before');
      const after = await cells('#train-heat-after');
      expect(before).toHaveLength(96 * 3);
      expect(after.some((v, i) => Math.abs(v - before[i]) > 1e-3)).toBe(true);
      await page.locator('#train-panel').screenshot({ path: join(RESULTS, 'train-panel.png') });

      // the checkpoint: two downloads, loaded in Node with @xlora/model against the demo's base and experts
      const ckpt = join(work, 'trained');
      mkdirSync(ckpt, { recursive: true });
      writeFileSync(join(ckpt, 'adapter_config.json'), await download(page, '#download-config'));
      writeFileSync(join(ckpt, 'adapter_model.safetensors'), await download(page, '#download-weights'));
      expect(errors).toEqual([]);
      await context.close();

      const backend = await createCpuBackend();
      const load = (xloraDir: string) => loadXLoraModel({
        source: nodeFileSource('/'), baseDir: join(MODEL_DIR, 'base'), xloraDir, adapterRoot: MODEL_DIR, backend, onNotice: () => {},
      });
      const original = await load(join(MODEL_DIR, 'xlora'));
      const trained = await load(ckpt);
      try {
        const a = original.parts.classifierWeights;
        const b = trained.parts.classifierWeights;
        expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
        let maxDiff = 0;
        for (const [k, t] of a) {
          const u = b.get(k)!;
          expect(u.shape).toEqual(t.shape);
          for (let i = 0; i < t.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(u.data[i] - t.data[i]));
        }
        expect(maxDiff).toBeGreaterThan(1e-4);
        const lossBefore = await evalLoss(original);
        const lossAfter = await evalLoss(trained);
        console.log(`train panel: train-mode losses ${losses.map((l) => l.toFixed(4)).join(' ')}; eval loss ${lossBefore.toFixed(4)} -> ${lossAfter.toFixed(4)}; max |Δ classifier| ${maxDiff.toExponential(2)}`);
        expect(lossAfter).toBeLessThan(lossBefore);
      } finally {
        original.dispose();
        trained.dispose();
        backend.dispose();
      }
    });
  });
}

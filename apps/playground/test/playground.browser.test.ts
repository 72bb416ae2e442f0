/**
 * The playground in a real browser: builds the site (vite build), serves dist/ from 127.0.0.1, drives Debian's
 * Chromium with playwright-core, loads the bundled demo model and checks what a user sees.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_DIR, buildSite } from './build-site.js';
import { nodeGreedy, writeDemoGguf } from './demo-gguf.js';
import { serveStatic, type StaticServer } from './static-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
const MODEL_DIR = join(APP_DIR, '../../models/xlora-demo');
const RESULTS = join(APP_DIR, 'test-results');

const MIXED_PROMPT = 'The function below adds two numbers.\ndef add(a, b):\n    return a + b\n# 12+30=';
const GOLDEN_PROMPT = '7*8=56\n23+45=';
/** PEFT 0.18.1 greedy continuation of GOLDEN_PROMPT (models/xlora-demo/README.md, golden outputs) */
const GOLDEN_CONTINUATION = '68\n91-19=73';
const bytes = (s: string) => new TextEncoder().encode(s).length;
const GGUF_FILE = 'demo-f32.gguf';

if (!HAVE_CHROMIUM && IN_CI) {
  describe('playground in Chromium', () => {
    it('needs Chromium', () => {
      throw new Error(`Chromium not found at ${CHROMIUM}: CI must install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
    });
  });
} else if (!HAVE_CHROMIUM) {
  describe('playground in Chromium', () => {
    it.skip(`skipped: Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`, () => {});
  });
} else {
  describe('playground in Chromium', () => {
    let server: StaticServer;
    let browser: Browser;
    let work: string;
    /** the demo's base as one F32 GGUF file (no tokenizer.json: the tokenizer is in its metadata) + checkpoint + experts */
    let ggufDir: string;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'xlora-playground-test-'));
      mkdirSync(RESULTS, { recursive: true });
      ggufDir = join(work, 'gguf-demo');
      await writeDemoGguf(MODEL_DIR, ggufDir, GGUF_FILE);
      const dist = join(APP_DIR, 'dist');
      await buildSite(dist);
      server = await serveStatic(dist, { mounts: { '/test-models/': work, '/no-range/': work }, ignoreRangeBelow: ['/no-range/'] });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
          '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
      });
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    /** A fresh context (fresh profile state) on the playground with `query`; fails on page errors. */
    async function open(query: string): Promise<{ page: Page; errors: string[] }> {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}?${query}`);
      return { page, errors };
    }

    const waitState = (page: Page, state: string, timeout = 120_000) =>
      page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout });

    async function generate(page: Page, prompt: string, maxNewTokens: number, timeout = 120_000): Promise<string> {
      await page.fill('#prompt', prompt);
      await page.fill('#max-new-tokens', String(maxNewTokens));
      await page.click('#generate-button');
      await page.waitForFunction(() => document.body.dataset.state === 'generating' || document.body.dataset.state === 'ready');
      await waitState(page, 'ready', timeout);
      expect(await page.isHidden('#error-box'), (await page.textContent('#error-box')) ?? '').toBe(true);
      return (await page.textContent('#generated')) ?? '';
    }

    const download = async (page: Page, button: string): Promise<Buffer> => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      return readFileSync((await file.path())!);
    };

    it('loads the demo on the CPU backend, streams tokens and draws one heatmap row per token', async () => {
      const { page, errors } = await open('backend=cpu');
      await waitState(page, 'ready');
      expect(await page.getAttribute('#device-chip', 'data-backend')).toBe('cpu');
      expect(await page.textContent('#device-chip')).toContain('plain TypeScript');
      expect(await page.textContent('#model-summary')).toContain('3 experts (prose, code, math), 28 LoRA layers');

      // record what the output looked like at every change: tokens must appear while the model is still running
      await page.evaluate(() => {
        const seen: { tokens: number; state: string | undefined }[] = [];
        (window as unknown as { seen: typeof seen }).seen = seen;
        new MutationObserver(() => seen.push({ tokens: document.querySelectorAll('#generated .tok').length, state: document.body.dataset.state }))
          .observe(document.getElementById('generated')!, { childList: true });
      });
      const n = 16;
      const text = await generate(page, MIXED_PROMPT, n);
      const seen = await page.evaluate(() => (window as unknown as { seen: { tokens: number; state: string }[] }).seen);
      expect(seen.some((s) => s.state === 'generating' && s.tokens > 0 && s.tokens < n)).toBe(true);
      expect(await page.locator('#generated .tok').count()).toBe(n);
      expect(bytes(text)).toBe(n); // byte-level tokenizer: one token per byte (ASCII output)
      expect(await page.textContent('#gen-status')).toMatch(new RegExp(`^${n} tokens in`));

      // heatmap: a row for every token the model has read (prompt + generated, except the last generated one,
      // whose scalings do not exist yet) and one column per expert
      const rows = bytes(MIXED_PROMPT) + n - 1;
      const svg = page.locator('#heatmap > svg');
      expect(await svg.getAttribute('data-rows')).toBe(String(rows));
      expect(await svg.getAttribute('data-cols')).toBe('3');
      expect(await page.locator('#heatmap rect.cell').count()).toBe(rows * 3);
      expect(await page.locator('#heatmap > svg .experts text').allTextContents()).toEqual(['prose', 'code', 'math']);
      expect(await page.locator('#heatmap > svg .tokens text').count()).toBe(rows * 2); // position + token per row
      const title = await page.locator('#heatmap rect.cell[data-row="3"][data-col="0"] title').textContent();
      expect(title).toMatch(/^␣ \(position 3\) · prose: 0\.\d{4}$/);
      // routing the demo model was trained for: math leads at '3' of "12+30" (README: mean over layers 0.932)
      const pos = MIXED_PROMPT.indexOf('+30') + 1;
      const mathAt3 = Number(await page.locator(`#heatmap rect.cell[data-row="${pos}"][data-col="2"]`).getAttribute('data-value'));
      expect(mathAt3).toBeCloseTo(0.932, 2);

      // hover readout, per-expert share, layer selector (layerwise: mean + 28 layers)
      await page.hover(`#heatmap rect.cell[data-row="${pos}"][data-col="2"]`);
      expect(await page.textContent('#hover-readout')).toContain(`position ${pos} (prompt) “3” → prose`);
      expect(await page.locator('#shares .share').count()).toBe(3);
      expect(await page.locator('#layer-select option').count()).toBe(29);
      await page.screenshot({ path: join(RESULTS, 'playground.png'), fullPage: true });
      await page.selectOption('#layer-select', '5');
      expect(await page.locator('#heatmap > svg').getAttribute('data-rows')).toBe(String(rows));
      expect(await page.locator('#heatmap > svg > title').textContent()).toContain('layer 5');

      // exports
      const svgFile = (await download(page, '#export-svg')).toString('utf8');
      expect(svgFile.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svgFile).toContain(`data-rows="${rows}"`);
      const png = await download(page, '#export-png');
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      writeFileSync(join(RESULTS, 'heatmap-export.png'), png);
      const log = JSON.parse((await download(page, '#export-json')).toString('utf8')) as { format: string; entries: { shape: number[] }[]; experts: string[] };
      expect(log.format).toBe('xlora-scalings-log');
      expect(log.experts).toEqual(['prose', 'code', 'math']);
      expect(log.entries).toHaveLength(n); // PEFT logs one entry per model call
      expect(log.entries[n - 1].shape).toEqual([1, rows, 28, 3]);
      const npy = await download(page, '#export-npy');
      expect(npy.subarray(1, 6).toString('latin1')).toBe('NUMPY');
      expect(npy.toString('latin1', 10, 80)).toContain(`'shape': (1, ${rows}, 28, 3)`);
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('reproduces PEFT\'s greedy continuation of the golden math prompt exactly (cpu backend)', async () => {
      const { page, errors } = await open('backend=cpu');
      await waitState(page, 'ready');
      const text = await generate(page, GOLDEN_PROMPT, 12);
      expect(text.startsWith(GOLDEN_CONTINUATION)).toBe(true);
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('stops a running generation with the Stop button (AbortSignal)', async () => {
      const { page, errors } = await open('backend=cpu');
      await waitState(page, 'ready');
      await page.fill('#prompt', GOLDEN_PROMPT);
      await page.fill('#max-new-tokens', '200');
      await page.click('#generate-button');
      await page.waitForFunction(() => document.querySelectorAll('#generated .tok').length >= 3);
      await page.click('#stop-button');
      await waitState(page, 'ready');
      const count = await page.locator('#generated .tok').count();
      expect(count).toBeGreaterThanOrEqual(3);
      expect(count).toBeLessThan(200);
      expect(await page.textContent('#gen-status')).toMatch(new RegExp(`^${count} tokens in .* — stopped$`));
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('shows the loader\'s error for a broken model folder (truncated weights, missing config.json)', async () => {
      const broken = join(work, 'broken-model');
      for (const rel of ['base/config.json', 'base/model.safetensors', 'base/tokenizer.json', 'base/tokenizer_config.json',
        'xlora/adapter_config.json', 'xlora/adapter_model.safetensors',
        ...['prose', 'code', 'math'].flatMap((e) => [`experts/${e}/adapter_config.json`, `experts/${e}/adapter_model.safetensors`])]) {
        mkdirSync(dirname(join(broken, rel)), { recursive: true });
        copyFileSync(join(MODEL_DIR, rel), join(broken, rel));
      }
      truncateSync(join(broken, 'base/model.safetensors'), 5000);

      const { page, errors } = await open('backend=cpu&autoload=0');
      await page.check('input[name=source][value=folder]');
      await page.setInputFiles('#folder-input', broken);
      await expect.poll(() => page.inputValue('#base-dir')).toBe('broken-model/base');
      expect(await page.inputValue('#xlora-dir')).toBe('broken-model/xlora');
      expect(await page.inputValue('#adapter-root')).toBe('broken-model');
      await page.click('#load-button');
      await page.locator('#error-box').waitFor({ state: 'visible' });
      const truncated = await page.textContent('#error-box');
      expect(truncated).toMatch(/^InputError: broken-model\/base\/model\.safetensors: .*out of range/);
      expect(await page.getAttribute('body', 'data-state')).toBe('idle');
      expect(await page.isDisabled('#generate-button')).toBe(true);

      // same folder without config.json (restore the weights): the loader names the missing file
      copyFileSync(join(MODEL_DIR, 'base/model.safetensors'), join(broken, 'base/model.safetensors'));
      rmSync(join(broken, 'base/config.json'));
      await page.click('#folder-clear');
      await page.setInputFiles('#folder-input', broken);
      await expect.poll(() => page.inputValue('#base-dir')).toBe('broken-model/base');
      await page.click('#load-button');
      await expect.poll(() => page.textContent('#error-box')).toBe('InputError: broken-model/base/config.json: file not found');
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('loads the demo base as a GGUF file by URL (byte ranges, tokenizer from its metadata): same greedy tokens as the safetensors base', async () => {
      const { page, errors } = await open('backend=cpu');
      await waitState(page, 'ready'); // the bundled demo: transformers folder, model.safetensors
      expect(await page.textContent('#model-summary')).toContain('base weights 39 f32;');
      const fromSafetensors = await generate(page, GOLDEN_PROMPT, 12);
      expect(fromSafetensors.startsWith(GOLDEN_CONTINUATION)).toBe(true);

      await page.check('input[name=source][value=url]');
      await page.fill('#url-input', `${server.url}test-models/gguf-demo/`);
      await page.fill('#base-dir', GGUF_FILE);
      await page.fill('#xlora-dir', 'xlora');
      await page.fill('#adapter-root', '');
      const before = server.requests.length;
      await page.click('#load-button');
      await page.waitForFunction(() => document.body.dataset.state === 'loading');
      await waitState(page, 'ready');
      expect(await page.isHidden('#error-box'), (await page.textContent('#error-box')) ?? '').toBe(true);
      expect(await page.textContent('#model-summary')).toContain('llama: 4 blocks, hidden 256, vocab 256; base weights 39 f32; 3 experts (prose, code, math)');
      expect(await page.isHidden('#notice')).toBe(true); // no "server ignored the Range request"

      // the GGUF came by Range requests, tensor by tensor (header + 39 tensors), never as one whole download
      const gets = server.requests.slice(before).filter((r) => r.path === `/test-models/gguf-demo/${GGUF_FILE}` && r.method === 'GET');
      expect(gets.every((r) => r.status === 206 && /^bytes=\d+-\d+$/.test(r.range ?? ''))).toBe(true);
      expect(gets.length).toBeGreaterThanOrEqual(40);
      // and no tokenizer.json exists there: the tokenizer is the file's tokenizer.ggml metadata
      expect(server.requests.slice(before).some((r) => r.path === '/test-models/gguf-demo/tokenizer.json' && r.status === 404)).toBe(true);

      const fromGguf = await generate(page, GOLDEN_PROMPT, 12);
      expect(await page.locator('#generated .tok').count()).toBe(12);
      expect(fromGguf).toBe(fromSafetensors);
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('loads a GGUF by URL from a server that ignores Range (whole downloads, each file noticed once); a folder URL says to name the file', async () => {
      const { page, errors } = await open('backend=cpu&autoload=0');
      await page.check('input[name=source][value=url]');
      await page.fill('#url-input', `${server.url}no-range/gguf-demo/`);
      await page.fill('#base-dir', '');
      await page.fill('#xlora-dir', 'xlora');
      await page.fill('#adapter-root', '');
      await page.click('#load-button');
      await expect.poll(() => page.textContent('#error-box')).toBe(`InputError: ${server.url}no-range/gguf-demo/config.json: file not found ` +
        '(for a GGUF base over a URL, name the .gguf file itself, e.g. base/model.gguf: a web server cannot list a folder)');

      await page.fill('#base-dir', GGUF_FILE);
      await page.click('#load-button');
      await page.waitForFunction(() => document.body.dataset.state === 'loading');
      await waitState(page, 'ready');
      expect(await page.isHidden('#error-box'), (await page.textContent('#error-box')) ?? '').toBe(true);
      const size = statSync(join(ggufDir, GGUF_FILE)).size;
      // one line per file the loader read by range (the GGUF first, then the experts), each shown once
      const lines = ((await page.textContent('#notice')) ?? '').split('\n');
      expect(lines[0]).toBe(`${server.url}no-range/gguf-demo/${GGUF_FILE}: the server ignored the Range request ` +
        `(HTTP 200 instead of 206), so the whole file (${size} bytes) is downloaded and held in memory`);
      // the experts load concurrently, so their notices come in any order
      expect(lines.slice(1).map((l) => l.replace(/ \(\d+ bytes\)/, '')).sort()).toEqual(['code', 'math', 'prose'].map((e) =>
        `${server.url}no-range/gguf-demo/experts/${e}/adapter_model.safetensors: the server ignored the Range request ` +
        '(HTTP 200 instead of 206), so the whole file is downloaded and held in memory'));
      expect(await generate(page, GOLDEN_PROMPT, 12)).toMatch(new RegExp(`^${GOLDEN_CONTINUATION}`));
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('loads a picked folder with a GGUF base, quantized to q8_0 on load: the same tokens as loadXLoraModel in Node', async () => {
      const expected = await nodeGreedy(ggufDir, GGUF_FILE, 'q8_0', GOLDEN_PROMPT, 12);
      // q8_0 rounding changes this tiny model's greedy path ("70\n91-18=73\n"): tokens equal to f32's would not
      // tell whether the dtype reached the loader
      expect(expected.startsWith(GOLDEN_CONTINUATION)).toBe(false);
      const { page, errors } = await open('backend=cpu&autoload=0');
      await page.check('input[name=source][value=folder]');
      await page.setInputFiles('#folder-input', ggufDir);
      await expect.poll(() => page.inputValue('#base-dir')).toBe(`gguf-demo/${GGUF_FILE}`);
      expect(await page.inputValue('#xlora-dir')).toBe('gguf-demo/xlora');
      expect(await page.inputValue('#adapter-root')).toBe('gguf-demo');
      expect(await page.textContent('#layout-notes')).toBe('');
      await page.selectOption('#dtype-select', 'q8_0');
      await page.click('#load-button');
      await page.waitForFunction(() => document.body.dataset.state === 'loading');
      await waitState(page, 'ready');
      expect(await page.isHidden('#error-box'), (await page.textContent('#error-box')) ?? '').toBe(true);
      // 30 matrices (7 per block x 4, embedding, head) in q8_0; 9 norms stay f32
      expect(await page.textContent('#model-summary')).toContain('base weights 30 q8_0, 9 f32;');
      const text = await generate(page, GOLDEN_PROMPT, 12);
      expect(await page.locator('#generated .tok').count()).toBe(12);
      expect(text).toBe(expected);
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('names the missing tokenizer of a GGUF base that has neither tokenizer.json nor tokenizer.ggml metadata', async () => {
      const noTok = join(work, 'gguf-no-tokenizer');
      await writeDemoGguf(MODEL_DIR, noTok, 'bare.gguf', { stripTokenizer: true });
      const { page, errors } = await open('backend=cpu&autoload=0');
      await page.check('input[name=source][value=folder]');
      await page.setInputFiles('#folder-input', noTok);
      await expect.poll(() => page.inputValue('#base-dir')).toBe('gguf-no-tokenizer/bare.gguf');
      await page.click('#load-button');
      await expect.poll(() => page.textContent('#error-box')).toBe(
        'InputError: gguf-no-tokenizer/bare.gguf: no tokenizer: no tokenizer.json beside the file and no tokenizer.ggml.* metadata in it; ' +
        'the playground needs the base model\'s tokenizer to turn text into tokens');
      expect(await page.getAttribute('body', 'data-state')).toBe('idle');
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('Auto picks WebGPU on a hardware adapter, else the CPU backend with a notice that says why', async () => {
      const { page, errors } = await open('');
      await waitState(page, 'ready');
      const backend = await page.getAttribute('#device-chip', 'data-backend');
      const notice = (await page.textContent('#notice')) ?? '';
      if (backend === 'webgpu') expect(notice).toBe('');
      else {
        expect(backend).toBe('cpu');
        expect(notice).toMatch(/^Auto: .+ — using the CPU backend/);
      }
      expect(await page.inputValue('#backend-select')).toBe('auto');
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it('generates 4 tokens on the WebGPU backend (SwiftShader here) with the same greedy tokens', async (ctx) => {
      const { page, errors } = await open('backend=webgpu');
      const adapter = await page.evaluate(async () => !!(await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter()));
      if (!adapter) ctx.skip(true, 'this Chromium has no WebGPU adapter (navigator.gpu.requestAdapter() gave none)');
      await waitState(page, 'ready');
      expect(await page.textContent('#notice')).toBe('');
      expect(await page.getAttribute('#device-chip', 'data-backend')).toBe('webgpu');
      const text = await generate(page, GOLDEN_PROMPT, 4, 150_000);
      expect(text).toBe(GOLDEN_CONTINUATION.slice(0, 4));
      expect(await page.locator('#heatmap > svg').getAttribute('data-rows')).toBe(String(bytes(GOLDEN_PROMPT) + 3));
      expect(errors).toEqual([]);
      await page.context().close();
    }, 200_000);
  });
}

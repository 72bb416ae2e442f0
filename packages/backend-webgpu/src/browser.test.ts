import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { opCases } from '../../testkit/src/op-cases.js';
import type { PageResult } from './browser-test/page-result.js';
import { serveBrowserTest } from './browser-test/serve.js';
import { inCI } from './testing/probe.js';

// Debian's chromium (.ci/setup-webgpu.sh); never `playwright install` (no downloads here)
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const skipReason = existsSync(executablePath) ? null : `no Chromium at ${executablePath} (run .ci/setup-webgpu.sh or set CHROMIUM_PATH)`;
const resultsDir = fileURLToPath(new URL('../test-results/', import.meta.url));

/**
 * Serves a browser-test entry, opens it in a fresh headless Chromium, waits for its published result, saves a
 * screenshot, and checks that it ran on a WebGPU adapter without an error.
 */
async function runPage(entry: string, screenshot: string): Promise<PageResult> {
  const served = await serveBrowserTest(entry);
  const profile = mkdtempSync(join(tmpdir(), 'xlora-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });
  const logs: string[] = [];
  try {
    const page = await context.newPage();
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(served.url);
    await page.waitForFunction(() => window.__xloraResult !== undefined, undefined, { timeout: 280_000 });
    const result = await page.evaluate(() => window.__xloraResult!);
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: join(resultsDir, screenshot), fullPage: true });
    expect(result.error, logs.join('\n')).toBeUndefined();
    expect(result.device).toMatch(/swiftshader|google|nvidia|amd|intel|apple/i);
    return result;
  } finally {
    await context.close();
    await served.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

describe('browser', () => {
  it.runIf(inCI())('Chromium is installed in CI', () => {
    if (skipReason) throw new Error(skipReason);
  });

  describe.skipIf(!!skipReason)(`webgpu in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    it('runs every op case on navigator.gpu and matches backend-cpu in the page', async () => {
      const result = await runPage('entry.ts', 'browser-op-cases.png');
      expect(result.cases.map((c) => c.name)).toEqual(['auto', 'gpu'].flatMap((p) => opCases().map((c) => `${c.name} [${p}]`)));
      expect(result.cases.flatMap((c) => c.failures)).toEqual([]);
    }, 300_000);

    it('loads PEFT fixtures over HTTP and matches PEFT: forward (logits, scalings, classifier input) and dual-cache generation', async () => {
      const result = await runPage('fixture-entry.ts', 'browser-fixtures.png');
      expect(result.cases.map((c) => c.name)).toEqual(['b1_depth2_layerwise', 'c_topk2_softmax_topk', 'e_gsw0.7_passvalue_1_over_n']);
      expect(result.cases.flatMap((c) => c.failures)).toEqual([]);
    }, 300_000);
  });
});

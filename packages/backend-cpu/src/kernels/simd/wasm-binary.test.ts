import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, no types
import { assemble, moduleText, WASM_KERNELS } from '../../../scripts/wasm-source.mjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('WebAssembly kernels', () => {
  for (const kernel of WASM_KERNELS as { wat: string; module: string }[]) {
    it(`${kernel.module} is ${kernel.wat} as wabt 1.0.39 assembles it (run \`pnpm build:wasm\` after editing the .wat)`, async () => {
      const cwd = process.cwd();
      process.chdir(root);
      try {
        const binary = await assemble(kernel.wat);
        expect(readFileSync(kernel.module, 'utf8')).toBe(moduleText(kernel, binary));
      } finally {
        process.chdir(cwd);
      }
    });
  }
});

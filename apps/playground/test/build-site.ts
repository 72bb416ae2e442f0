import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Builds the playground with its own vite.config.ts into `outDir` (the same output `pnpm build` gives). */
export async function buildSite(outDir: string): Promise<void> {
  await build({
    root: APP_DIR,
    configFile: `${APP_DIR}vite.config.ts`,
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
}

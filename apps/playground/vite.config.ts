import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { demoModelPlugin } from './build/demo-model-plugin.js';

const modelDir = fileURLToPath(new URL('../../models/xlora-demo/', import.meta.url));
const nodeFsStub = fileURLToPath(new URL('./build/node-fs-stub.ts', import.meta.url));

export default defineConfig({
  // relative asset URLs: dist/ works from any path on any static host
  base: './',
  plugins: [demoModelPlugin(modelDir)],
  resolve: { alias: { 'node:fs/promises': nodeFsStub } },
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2048 },
  // onnxruntime-web finds its .wasm next to its own module: keep it out of the dev pre-bundle
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});

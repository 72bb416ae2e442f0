import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The shared libraries the CUDA EP needs beside onnxruntime-node's binding; npm does not ship them. */
export const CUDA_PROVIDER_LIBS = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;

/** onnxruntime-node's package folder. */
export function ortNodePackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
}

/** Where onnxruntime-node loads native libraries from on this platform. */
export function ortNodeBinDir(pkgDir = ortNodePackageDir()): string {
  return join(pkgDir, 'bin', 'napi-v6', process.platform, process.arch);
}

/** How to get the CUDA provider libraries (onnxruntime-node's script/install.js: flag, env vars, NuGet download). */
export function cudaInstallHint(pkgDir: string): string {
  return [
    'onnxruntime-node ships only the cpu and webgpu providers in its npm package; its postinstall script downloads the',
    'CUDA 12 provider (linux/x64, from NuGet: Microsoft.ML.OnnxRuntime.Gpu.Linux). To install it:',
    `  ONNXRUNTIME_NODE_INSTALL=cuda12 node ${join(pkgDir, 'script', 'install.js')}`,
    '  (the deprecated switch ONNXRUNTIME_NODE_INSTALL_CUDA=v12 does the same; so does --onnxruntime-node-install=cuda12),',
    '  or, with pnpm, set `allowBuilds: { onnxruntime-node: true }` in pnpm-workspace.yaml and run `pnpm rebuild onnxruntime-node`',
    '  (with npm: `npm rebuild onnxruntime-node`).',
    'The machine also needs an NVIDIA GPU with the CUDA 12 runtime and cuDNN 9 on the library path.',
    'Or create the backend with { allowFallback: true } to run on the cpu EP instead.',
  ].join('\n');
}

/**
 * Why the CUDA EP cannot load, judged from the files alone, or null when the provider libraries are present
 * (a missing GPU or CUDA runtime still shows up when the first session is created).
 */
export function cudaProviderProblem(binDir = ortNodeBinDir(), pkgDir = ortNodePackageDir()): string | null {
  if (process.platform !== 'linux') return null; // Windows builds ship DirectML; CUDA on Windows is not probed here
  const missing = CUDA_PROVIDER_LIBS.filter((lib) => !existsSync(join(binDir, lib)));
  if (missing.length === 0) return null;
  return `the CUDA execution provider is not installed: ${missing[0]}: cannot open shared object file (not in ${binDir}).\n${cudaInstallHint(pkgDir)}`;
}

import { existsSync } from 'node:fs';
import { createOnnxBackend } from '../node-backend.js';

/**
 * Which onnxruntime-node execution providers can start on this machine, for the conformance tests: an EP that
 * cannot start is reported as skipped with the reason (never silently absent).
 */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

/** null when the backend starts; else the first line of why not. */
async function startProblem(start: () => Promise<{ dispose(): void }>): Promise<string | null> {
  try {
    (await start()).dispose();
    return null;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0];
  }
}

/** Why the CUDA EP cannot run here (provider libraries, GPU), or null. */
export async function cudaSkipReason(): Promise<string | null> {
  const problem = await startProblem(() => createOnnxBackend({ ep: 'cuda' }));
  return problem ? `CUDA EP unavailable (provider libraries not installed or no GPU): ${problem}` : null;
}

/** Why the WebGPU EP cannot run here (no Vulkan driver), or null; in CI with an ICD on disk it must run. */
export async function webgpuSkipReason(): Promise<string | null> {
  const problem = await startProblem(() => createOnnxBackend({ ep: 'webgpu' }));
  const icd = process.env.VK_ICD_FILENAMES;
  const mustRun = process.env.CI === 'true' && !!icd && existsSync(icd);
  return problem && !mustRun ? `WebGPU EP cannot start (needs a Vulkan driver, e.g. VK_ICD_FILENAMES=${SWIFTSHADER_ICD}): ${problem}` : null;
}

/**
 * One clear line for an ONNX Runtime execution provider that cannot start, where the raw ORT message is known
 * (it names a C++ source line, not the flag or the fix). Undefined when the failure is not one recognised here.
 */
export function explainEpFailure(ep: string, err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : String(err);
  if (ep === 'webgpu' && /Failed to get a WebGPU adapter|No supported adapters/i.test(message)) {
    const icd = process.env.VK_ICD_FILENAMES;
    const where = icd ? ` (VK_ICD_FILENAMES=${icd} is set: check that it names an existing driver manifest)` : '';
    return `--ep webgpu: ONNX Runtime found no WebGPU adapter: no usable Vulkan driver${where}; install one (e.g. .ci/setup-webgpu.sh or mesa-vulkan-drivers), or use --ep cpu, or add --allow-fallback`;
  }
  return undefined;
}

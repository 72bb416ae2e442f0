/** The backends the playground offers, in the order of the picker. */
export const BACKEND_CHOICES = [
  { id: 'auto', label: 'Auto (WebGPU, else CPU)' },
  { id: 'webgpu', label: 'WebGPU (@xlora/backend-webgpu)' },
  { id: 'ort-webgpu', label: 'onnxruntime-web, WebGPU EP' },
  { id: 'ort-wasm', label: 'onnxruntime-web, wasm EP' },
  { id: 'cpu', label: 'CPU (plain TypeScript reference)' },
] as const;

export type BackendChoice = (typeof BACKEND_CHOICES)[number]['id'];

export function isBackendChoice(s: string | null | undefined): s is BackendChoice {
  return BACKEND_CHOICES.some((c) => c.id === s);
}

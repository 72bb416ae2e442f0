import { createCpuBackend } from '@xlora/backend-cpu';
import type { Backend } from '@xlora/core';
import { loadXLoraModel, nodeFileSource, type XLoraModel } from '@xlora/model';

export interface DemoModelPaths {
  /** base model folder (config.json, model.safetensors) */
  model: string;
  /** X-LoRA checkpoint folder */
  xlora: string;
  /** folder the checkpoint's relative expert paths (experts/prose …) resolve against */
  adapterRoot: string;
}

/** The X-LoRA model on the cpu backend (absolute paths); dispose the backend when done. */
export async function loadDemoModel(paths: DemoModelPaths, onNotice: (m: string) => void): Promise<{ model: XLoraModel; backend: Backend }> {
  const backend = await createCpuBackend();
  try {
    const model = await loadXLoraModel({
      source: nodeFileSource('/'), baseDir: paths.model, xloraDir: paths.xlora, adapterRoot: paths.adapterRoot, backend, onNotice,
    });
    return { model, backend };
  } catch (err) {
    backend.dispose();
    throw err;
  }
}

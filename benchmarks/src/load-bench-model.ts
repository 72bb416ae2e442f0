import type { Backend } from '@xlora/core';
import {
  loadGgufBaseModel, loadXLoraCheckpoint, loadXLoraModel, nodeFileSource, XLoraModel, type LoadDtype,
} from '@xlora/model';
import type { ModelSpec } from './run-spec.js';

/** The message loadBaseModel gives for a .gguf base while GGUF loading is not wired into it. */
const GGUF_NOT_WIRED = /GGUF base models are not supported yet/;

/**
 * Loads the spec's base + X-LoRA checkpoint through loadXLoraModel (the public path: it takes .gguf bases once
 * @xlora/model wires them in). While it does not, a .gguf base is loaded with loadGgufBaseModel and assembled
 * as loadXLoraModel would, with a note saying so. Our runtime runs a base only as part of an X-LoRA model, so a
 * spec without a checkpoint is an error here (llama.cpp runs it alone).
 */
export async function loadBenchModel(spec: ModelSpec, backend: Backend, dtype: string | undefined, notes: string[]): Promise<XLoraModel> {
  if (!spec.xlora) throw new Error(`${spec.base}: the harness needs an X-LoRA checkpoint (--xlora) to build a model`);
  const source = nodeFileSource();
  const options = { source, baseDir: spec.base, xloraDir: spec.xlora, adapterRoot: spec.adapterRoot ?? '', backend, ...(dtype ? { dtype: dtype as LoadDtype } : {}), onNotice: (m: string) => notes.push(m) };
  try {
    return await loadXLoraModel(options);
  } catch (err) {
    if (!spec.gguf || !GGUF_NOT_WIRED.test((err as Error).message) || dtype) throw err;
  }
  notes.push('loadXLoraModel does not take a .gguf base yet: base loaded with loadGgufBaseModel');
  const base = await loadGgufBaseModel(source, spec.gguf);
  const ckpt = await loadXLoraCheckpoint(source, spec.xlora, { adapterRoot: spec.adapterRoot ?? '' });
  return new XLoraModel({
    baseConfig: base.config, baseWeights: base.weights, xloraConfig: ckpt.config, classifierWeights: ckpt.classifier,
    classifierFile: ckpt.classifierFile, experts: ckpt.experts, tokenizer: null, eosTokenIds: [], padTokenId: null,
  }, backend);
}

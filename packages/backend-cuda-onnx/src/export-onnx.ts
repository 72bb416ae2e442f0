import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Graph, ValueInfo, WeightMap } from '@xlora/core';
import { graphToModel, PRODUCER_NAME, serializeModel } from './export/export-graph.js';
import type { ExternalFile } from './export/external-data.js';
import type { ExportOptions } from './export/options.js';
import { IR_VERSION, MS_DOMAIN, MS_OPSET, ONNX_OPSET } from './flags.js';

export interface ExportOnnxOptions extends ExportOptions {
  /** caller metadata stored verbatim under "metadata" in the sidecar (e.g. the model's L and C) */
  sidecar?: Readonly<Record<string, unknown>>;
  /** model file name (default "model.onnx"); external data goes to "<name>.data" */
  modelFileName?: string;
  /** sidecar file name (default "model.json") */
  sidecarFileName?: string;
}

export interface ExportOnnxResult {
  modelPath: string;
  /** external data files written beside the model (empty when the weights fit inside it) */
  externalDataPaths: string[];
  sidecarPath: string;
  sidecar: OnnxSidecar;
}

/** The JSON written beside the model: what a runtime needs to feed it without reading the protobuf. */
export interface OnnxSidecar {
  format: 'xlora-onnx';
  format_version: 1;
  producer: string;
  model_file: string;
  external_data_files: string[];
  ir_version: number;
  opset_imports: { domain: string; version: number }[];
  graph_name: string;
  /** inputs and outputs in order; symbolic dims are the model's dim_params */
  inputs: { name: string; dtype: string; onnx_type: string; shape: (number | string)[] }[];
  outputs: { name: string; dtype: string; onnx_type: string; shape: (number | string)[] }[];
  /** every symbolic dim name used by inputs and outputs */
  dim_params: string[];
  metadata: Record<string, unknown>;
}

const ONNX_TYPE_NAME = { f32: 'float32', i32: 'int32' } as const;

/**
 * Writes `outDir/model.onnx` (IR 10, opset 21), its external data `model.onnx.data` when the weights pass the
 * threshold (2 GB by default), and the JSON sidecar `model.json`. `xlora export-onnx` calls this.
 */
export function exportOnnx(graph: Graph, weights: WeightMap, outDir: string, options: ExportOnnxOptions = {}): ExportOnnxResult {
  mkdirSync(outDir, { recursive: true });
  const modelFile = options.modelFileName ?? 'model.onnx';
  const dataFile = `${basename(modelFile)}.data`;
  const model = graphToModel(graph, weights, options);
  const { bytes, externalFiles } = serializeModel(model, { ...options, external: { location: () => dataFile } });
  const modelPath = join(outDir, modelFile);
  writeFileSync(modelPath, bytes);
  const externalDataPaths = externalFiles.map((f) => writeExternalFile(join(outDir, f.path), f));

  const io = (v: ValueInfo) => ({ name: v.name, dtype: v.dtype, onnx_type: ONNX_TYPE_NAME[v.dtype], shape: [...v.shape] });
  const dims = new Set<string>();
  for (const v of [...graph.inputs, ...graph.outputs]) for (const d of v.shape) if (typeof d === 'string') dims.add(d);
  const usesMs = model.opsetImport.some((o) => o.domain === MS_DOMAIN);
  const sidecar: OnnxSidecar = {
    format: 'xlora-onnx',
    format_version: 1,
    producer: PRODUCER_NAME,
    model_file: modelFile,
    external_data_files: externalFiles.map((f) => f.path),
    ir_version: IR_VERSION,
    opset_imports: [{ domain: '', version: ONNX_OPSET }, ...(usesMs ? [{ domain: MS_DOMAIN, version: MS_OPSET }] : [])],
    graph_name: graph.name,
    inputs: graph.inputs.map(io),
    outputs: graph.outputs.map(io),
    dim_params: [...dims],
    metadata: { ...options.sidecar },
  };
  const sidecarPath = join(outDir, options.sidecarFileName ?? 'model.json');
  writeFileSync(sidecarPath, `${JSON.stringify(sidecar, null, 2)}\n`);
  return { modelPath, externalDataPaths, sidecarPath, sidecar };
}

/** Streams the tensors into the file at their offsets (no buffer of the whole file in memory). */
function writeExternalFile(path: string, file: ExternalFile): string {
  const fd = openSync(path, 'w');
  try {
    for (const p of file.parts) {
      for (let done = 0; done < p.bytes.byteLength;) {
        done += writeSync(fd, p.bytes, done, p.bytes.byteLength - done, p.offset + done);
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

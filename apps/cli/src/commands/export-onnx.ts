import { CpuBackend } from '@xlora/backend-cpu';
import { exportOnnx } from '@xlora/backend-cuda-onnx';
import { expertNames } from '../lib/expert-view.js';
import { loadFromArgs, type ModelArgs } from '../lib/load.js';
import { fromUser } from '../lib/paths.js';

export interface ExportOnnxArgs extends ModelArgs {
  out: string;
  logits: 'all' | 'last';
}

/** xlora export-onnx: the X-LoRA step graph (both passes, classifier, KV caches as I/O) as model.onnx + model.json. */
export async function exportOnnxCommand(args: ExportOnnxArgs): Promise<void> {
  const model = await loadFromArgs(args, new CpuBackend());
  const { graph, weights, passes } = model.stepGraph('xlora', args.logits);
  const cfg = model.config;
  const result = exportOnnx(graph, weights, fromUser(args.out), {
    sidecar: {
      num_layers: model.numLayers, num_experts: model.numExperts, experts: expertNames(model.parts.xloraConfig.adapters),
      layer_modules: model.wrappedModules.map((m) => m.modulePath), passes, logits: args.logits,
      num_hidden_layers: cfg.numHiddenLayers, num_key_value_heads: cfg.numKeyValueHeads, head_dim: cfg.headDim,
      vocab_size: cfg.vocabSize, hidden_size: cfg.hiddenSize,
      cache_inputs: '<pass>.past.<layer>.{key,value} [batch, num_key_value_heads, past, head_dim]; outputs <pass>.present.*',
      scalings_output: '[batch, seq, Lc, num_experts] after the classifier softmax, before top-k (Lc = num_layers if layerwise, else 1)',
    },
  });
  process.stderr.write(`wrote ${result.modelPath}${result.externalDataPaths.length ? ` + ${result.externalDataPaths.join(', ')}` : ''} and ${result.sidecarPath}\n`);
}

import { CpuBackend } from '@xlora/backend-cpu';
import { serializeXLoraConfig } from '@xlora/config';
import { classifierLayout } from '@xlora/classifier';
import { loadFromArgs } from '../lib/load.js';
import { expertNames } from '../lib/expert-view.js';

export interface InspectArgs {
  xlora: string;
  model: string;
  adapterRoot?: string;
  json?: boolean;
}

/** xlora inspect: experts, ranks, targets, L, C, classifier shape and config. */
export async function inspectCommand(args: InspectArgs): Promise<void> {
  const model = await loadFromArgs(args, new CpuBackend());
  const xc = model.parts.xloraConfig;
  const names = expertNames(xc.adapters);
  const layout = classifierLayout(xc, model.config.hiddenSize, model.numLayers, model.numExperts);
  const experts = model.parts.experts.map((e, i) => {
    const ranks = [...new Set([...e.modules.values()].map((m) => m.a.shape[0]))];
    return {
      index: i, name: names[i], path: e.dir, ranks, loraAlpha: e.config.loraAlpha, useRslora: e.config.useRslora,
      targets: [...new Set([...e.modules.keys()].map((k) => k.split('.').pop()))], modules: e.modules.size,
    };
  });
  const info = {
    base: { architecture: model.architecture.name, modelType: model.config.modelType, derived: model.architecture.describe(model.config), hidden: model.config.hiddenSize, layers: model.config.numHiddenLayers, heads: model.config.numAttentionHeads, kvHeads: model.config.numKeyValueHeads, vocab: model.config.vocabSize },
    numExperts: model.numExperts,
    numLayers: model.numLayers,
    layerModules: model.wrappedModules.map((m) => m.modulePath),
    experts,
    classifier: layout.linears.map((l) => ({ key: `layers.${l.index}`, shape: [l.outFeatures, l.inFeatures], relu: l.relu })),
    config: serializeXLoraConfig(xc),
  };
  if (args.json) {
    process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    return;
  }
  const out: string[] = [];
  out.push(`base: ${info.base.architecture} (model_type ${info.base.modelType}), hidden ${info.base.hidden}, ${info.base.layers} blocks, ${info.base.heads} heads / ${info.base.kvHeads} KV heads, vocab ${info.base.vocab}`);
  out.push('derived from config.json:');
  for (const line of info.base.derived) out.push(`  ${line}`);
  out.push(`X-LoRA: C = ${model.numExperts} experts, L = ${model.numLayers} LoRA-wrapped modules, ${xc.layerwiseScalings ? 'layerwise' : 'shared'} scalings`);
  out.push(`layer order (PEFT module registration): ${info.layerModules.slice(0, 8).map((m) => m.replace(/^model\./, '')).join(', ')}${info.layerModules.length > 8 ? `, … (${info.layerModules.length})` : ''}`);
  out.push('experts:');
  for (const e of experts) out.push(`  ${e.index} ${e.name.padEnd(12)} r=${e.ranks.join('/')} alpha=${e.loraAlpha}${e.useRslora ? ' rslora' : ''}  targets ${e.targets.join(',')} (${e.modules} modules)  ${e.path}`);
  out.push(`classifier: ${info.classifier.map((c) => `${c.key} [${c.shape}]${c.relu ? ' → ReLU' : ''}`).join(' → ')}${xc.enableSoftmax ? ` → softmax(T=${xc.softmaxTemperature})` : ''}`);
  out.push(`knobs: top_k_lora=${xc.topKLora}, enable_softmax_topk=${xc.enableSoftmaxTopk}, scaling_pass_value=${xc.scalingPassValue}, global_scaling_weight=${xc.globalScalingWeight}`);
  process.stdout.write(out.join('\n') + '\n');
}

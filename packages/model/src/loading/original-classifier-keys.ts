import { f32, formatShape, InputError, type HostTensor } from '@xlora/core';
import type { OriginalXLoraConfig } from '@xlora/config';
import type { SafetensorsFile } from './safetensors-file.js';

/**
 * Renames the original xlora package's classifier (`inner.<i>` ModuleList + `last`) to PEFT's Sequential keys
 * `layers.<j>`: PEFT puts Linear layers at 0, 3, 6, ... when xlora_dropout_p > 0 (Linear, ReLU, Dropout) and at
 * 0, 2, 4, ... otherwise; `last` takes the final index. Inner Linear layers are taken in index order.
 * - `use_bias: false` -> zero biases (exactly equivalent; PEFT's Linear layers always have one);
 * - `enable_relu_and_dropout: false` with xlora_depth >= 2 has no ReLU between the Linear layers, which PEFT's
 *   classifier cannot express: rejected.
 */
export function originalClassifierToPeft(file: SafetensorsFile, orig: OriginalXLoraConfig, configFile: string): Map<string, HostTensor<'f32'>> {
  const depth = orig.config.xloraDepth;
  if (depth >= 2 && !orig.enableReluAndDropout) {
    throw new InputError(
      `${configFile}: field "enable_relu_and_dropout" is false with xlora_depth ${depth}: that classifier has no ReLU between its Linear layers, which PEFT's X-LoRA classifier (and this library) cannot express`,
    );
  }
  const inner = new Map<number, { weight?: string; bias?: string }>();
  const last: { weight?: string; bias?: string } = {};
  for (const key of file.names()) {
    const m = /^inner\.(\d+)\.(weight|bias)$/.exec(key) ?? /^(last)\.(weight|bias)$/.exec(key);
    if (!m) throw new InputError(`${file.file}: unexpected tensor ${JSON.stringify(key)} (an original X-LoRA classifier has inner.<i>.weight/bias and last.weight/bias)`);
    const slot = m[1] === 'last' ? last : inner.get(Number(m[1])) ?? {};
    slot[m[2] as 'weight' | 'bias'] = key;
    if (m[1] !== 'last') inner.set(Number(m[1]), slot);
  }
  const order = [...inner.keys()].sort((a, b) => a - b);
  if (order.length !== depth - 1) {
    throw new InputError(`${file.file}: xlora_depth ${depth} needs ${depth - 1} inner Linear layer(s), found ${order.length}${order.length ? ` (inner.${order.join(', inner.')})` : ''}`);
  }
  if (!last.weight) throw new InputError(`${file.file}: no tensor named "last.weight" (the classifier's output layer)`);
  const stride = orig.config.xloraDropoutP > 0 ? 3 : 2;
  const out = new Map<string, HostTensor<'f32'>>();
  const put = (slot: { weight?: string; bias?: string }, index: number, label: string): void => {
    if (!slot.weight) throw new InputError(`${file.file}: ${label} has a bias but no weight`);
    const w = file.getF32(slot.weight);
    if (w.shape.length !== 2) throw new InputError(`${file.file}: tensor ${JSON.stringify(slot.weight)} has shape ${formatShape(w.shape)}, expected 2-D [out, in]`);
    out.set(`layers.${index}.weight`, w);
    if (slot.bias) out.set(`layers.${index}.bias`, file.getF32(slot.bias));
    else if (orig.useBias) throw new InputError(`${file.file}: no tensor named ${JSON.stringify(`${label}.bias`)} although use_bias is true`);
    else out.set(`layers.${index}.bias`, f32([w.shape[0]]));
  };
  order.forEach((i, j) => put(inner.get(i)!, j * stride, `inner.${i}`));
  put(last, (depth - 1) * stride, 'last');
  return out;
}

// Probe: many malformed model files, each must end in an InputError naming the file (no crash, hang or success).
import { createCpuBackend } from '@xlora/backend-cpu';
import { InputError } from '@xlora/core';
import { describe, expect, it } from 'vitest';
import { loadXLoraModel } from '../xlora/load-model.js';
import { buildSafetensors, editSafetensorsHeader, filesUnder, PEFT_FIXTURES, rawSafetensors, sourceOf, splitSafetensors, tensorsOf, type RawTensor } from './test-helpers.js';

const BASE_CFG = 'base/config.json';
const GEN_CFG = 'base/generation_config.json';
const BASE_W = 'base/model.safetensors';
const XLORA_CFG = 'cases/a_default/xlora/adapter_config.json';
const CLASSIFIER = 'cases/a_default/xlora/adapter_model.safetensors';
const EXPERT_CFG = 'adapters/lora_qv_r4/adapter_config.json';
const EXPERT_W = 'adapters/lora_qv_r4/adapter_model.safetensors';
const Q0 = 'base_model.model.model.layers.0.self_attn.q_proj';

interface Case {
  what: string;
  file: string;
  /** the broken bytes from the good ones; null deletes the file */
  make: (good: Uint8Array) => Uint8Array | null;
  /** what the message must contain (default: `file`, the path as the source describes it) */
  names?: string;
  /** other files to replace at the same time */
  also?: Record<string, Uint8Array>;
}

const enc = (s: string) => new TextEncoder().encode(s);
const DEEP = '['.repeat(100_000) + ']'.repeat(100_000);
const text = (s: string) => () => enc(s);
const edit = (fn: (o: Record<string, unknown>) => void) => (good: Uint8Array) => {
  const o = JSON.parse(new TextDecoder().decode(good)) as Record<string, unknown>;
  fn(o);
  return enc(JSON.stringify(o));
};
const set = (fields: Record<string, unknown>) => edit((o) => Object.assign(o, fields));
/** Sets `"key": <valueText>` as raw JSON text (for what JSON.stringify cannot write: NaN, 1e400, a repeated key). */
const rawField = (key: string, valueText: string) => (good: Uint8Array) => {
  const o = JSON.parse(new TextDecoder().decode(good)) as Record<string, unknown>;
  delete o[key];
  return enc(`{"${key}": ${valueText},${JSON.stringify(o).slice(1)}`);
};
const header = (fn: (h: ReturnType<typeof splitSafetensors>['header']) => unknown) => (good: Uint8Array) => editSafetensorsHeader(good, fn);
const tensors = (fn: (t: Record<string, RawTensor>) => void) => (good: Uint8Array) => {
  const t = tensorsOf(good);
  fn(t);
  return buildSafetensors(t);
};
const headerLength = (delta: number) => (good: Uint8Array) => {
  const out = good.slice();
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, dv.getBigUint64(0, true) + BigInt(delta), true);
  return out;
};
const asInt = (name: string, dtype: string) => header((h) => { h[name].dtype = dtype; });

const jsonFileCases = (file: string, missing: string): Case[] => [
  { what: 'not JSON', file, make: text('{"a": ') },
  { what: 'a JSON array', file, make: text('[1, 2]') },
  { what: 'JSON null', file, make: text('null') },
  { what: 'a JSON string', file, make: text('"config"') },
  { what: 'invalid UTF-8', file, make: () => Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d) },
  { what: 'a key given twice', file, make: rawField('peft_type', '"LORA", "peft_type": "LORA"') },
  { what: 'NaN (not JSON)', file, make: rawField('x_nan', 'NaN') },
  { what: 'missing', file, make: () => null, names: missing },
];

const cases: Case[] = [
  // base config.json
  ...jsonFileCases(BASE_CFG, BASE_CFG),
  { what: 'hidden_size a string', file: BASE_CFG, make: set({ hidden_size: '64' }) },
  { what: 'hidden_size negative', file: BASE_CFG, make: set({ hidden_size: -64 }) },
  { what: 'hidden_size 0', file: BASE_CFG, make: set({ hidden_size: 0 }) },
  { what: 'hidden_size 1e12', file: BASE_CFG, make: set({ hidden_size: 1e12 }) },
  { what: 'hidden_size beyond 2^53', file: BASE_CFG, make: set({ hidden_size: 2 ** 60 }) },
  { what: 'hidden_size not matching the tensors', file: BASE_CFG, make: set({ hidden_size: 65, head_dim: null, num_attention_heads: 5, num_key_value_heads: 5 }) },
  { what: 'vocab_size 1e12', file: BASE_CFG, make: set({ vocab_size: 1e12 }) },
  { what: 'num_hidden_layers 1e9', file: BASE_CFG, make: set({ num_hidden_layers: 1e9 }) },
  { what: 'num_hidden_layers 1.5', file: BASE_CFG, make: set({ num_hidden_layers: 1.5 }) },
  { what: 'num_hidden_layers missing (default 32)', file: BASE_CFG, make: edit((o) => { delete o.num_hidden_layers; }) },
  { what: 'num_attention_heads 0', file: BASE_CFG, make: set({ num_attention_heads: 0 }) },
  { what: 'num_key_value_heads not a divisor', file: BASE_CFG, make: set({ num_key_value_heads: 3 }) },
  { what: 'head_dim 1e9', file: BASE_CFG, make: set({ head_dim: 1e9 }) },
  { what: 'intermediate_size 1e15', file: BASE_CFG, make: set({ intermediate_size: 1e15 }) },
  { what: 'rms_norm_eps negative', file: BASE_CFG, make: set({ rms_norm_eps: -1 }) },
  { what: 'rms_norm_eps 1e400 (Infinity)', file: BASE_CFG, make: rawField('rms_norm_eps', '1e400') },
  { what: 'rope_theta a string', file: BASE_CFG, make: set({ rope_theta: 'big' }) },
  { what: 'rope_scaling of an unknown type', file: BASE_CFG, make: set({ rope_scaling: { rope_type: 'weird', factor: 2 } }) },
  { what: 'hidden_act gelu', file: BASE_CFG, make: set({ hidden_act: 'gelu' }) },
  { what: 'an unsupported architecture', file: BASE_CFG, make: set({ architectures: ['GPT2LMHeadModel'] }) },
  { what: 'tie_word_embeddings a string', file: BASE_CFG, make: set({ tie_word_embeddings: 'yes' }) },
  { what: 'max_position_embeddings -1', file: BASE_CFG, make: set({ max_position_embeddings: -1 }) },
  { what: 'a value nested 100000 levels deep', file: BASE_CFG, make: rawField('hidden_size', DEEP) },
  { what: 'eos_token_id negative', file: BASE_CFG, make: set({ eos_token_id: -3 }) },
  // generation_config.json
  { what: 'not an object', file: GEN_CFG, make: text('[]') },
  { what: 'eos_token_id a string', file: GEN_CFG, make: set({ eos_token_id: 'eos' }) },
  // base model.safetensors
  { what: 'empty', file: BASE_W, make: () => new Uint8Array(0) },
  { what: 'truncated to half', file: BASE_W, make: (g) => g.subarray(0, g.length >> 1) },
  { what: 'header length one byte short', file: BASE_W, make: headerLength(-1) },
  { what: 'header length one byte long', file: BASE_W, make: headerLength(1) },
  { what: 'header length 2^60', file: BASE_W, make: headerLength(2 ** 60) },
  { what: 'trailing bytes', file: BASE_W, make: (g) => Uint8Array.from([...g, 0, 0, 0, 0]) },
  { what: 'an I32 weight', file: BASE_W, make: asInt('model.layers.0.self_attn.q_proj.weight', 'I32') },
  { what: 'a U8 weight (4x the elements)', file: BASE_W, make: header((h) => { const e = h['model.norm.weight']; e.dtype = 'U8'; e.shape = [e.shape[0] * 4]; }) },
  { what: 'an F8 weight', file: BASE_W, make: header((h) => { const e = h['model.norm.weight']; e.dtype = 'F8_E4M3'; e.shape = [e.shape[0] * 4]; }) },
  { what: 'an unknown dtype', file: BASE_W, make: header((h) => { h['model.norm.weight'].dtype = 'Q4_K'; }) },
  { what: 'a transposed shape', file: BASE_W, make: header((h) => { h['model.layers.0.mlp.up_proj.weight'].shape.reverse(); }) },
  { what: 'a negative dimension', file: BASE_W, make: header((h) => { h['model.norm.weight'].shape = [-64]; }) },
  { what: 'shape elements overflowing 2^53', file: BASE_W, make: header((h) => { h['model.norm.weight'].shape = [2 ** 40, 2 ** 40]; }) },
  { what: 'offsets beyond 2^53', file: BASE_W, make: header((h) => JSON.stringify(h).replace(/"data_offsets":\[0,/, '"data_offsets":[9007199254740993,')) },
  { what: 'a gap between tensors', file: BASE_W, make: header((h) => { const e = h['model.norm.weight']; e.data_offsets = [e.data_offsets[0] + 4, e.data_offsets[1] + 4]; }) },
  { what: 'overlapping tensors', file: BASE_W, make: header((h) => { h['model.norm.weight'].data_offsets = [0, 256]; }) },
  { what: 'a tensor listed twice', file: BASE_W, make: header((h) => JSON.stringify(h).replace(/^\{("[^"]+":\{[^}]+\})/, '{$1,$1')) },
  { what: 'a header array', file: BASE_W, make: (g) => rawSafetensors('[]', splitSafetensors(g).data) },
  { what: 'a header entry that is a number', file: BASE_W, make: header((h) => { (h as Record<string, unknown>)['model.norm.weight'] = 5; }) },
  { what: 'a header value nested 100000 levels deep', file: BASE_W, make: header((h) => JSON.stringify(h).replace('{', `{"deep": ${DEEP},`)) },
  { what: 'a missing tensor', file: BASE_W, make: tensors((t) => { delete t['model.norm.weight']; }) },
  { what: 'a sharded index without weight_map', file: 'base/model.safetensors.index.json', make: text('{"metadata": {}}'), also: {} },
  // X-LoRA adapter_config.json
  ...jsonFileCases(XLORA_CFG, 'cases/a_default/xlora: not an X-LoRA checkpoint').filter((c) => c.what !== 'a key given twice'),
  { what: 'a key given twice', file: XLORA_CFG, make: rawField('peft_type', '"XLORA", "peft_type": "XLORA"') },
  { what: 'adapters an array', file: XLORA_CFG, make: set({ adapters: ['adapters/lora_qv_r4'] }) },
  { what: 'adapters named, not "0".."n-1"', file: XLORA_CFG, make: set({ adapters: { qv: 'adapters/lora_qv_r4' } }) },
  { what: 'adapters empty', file: XLORA_CFG, make: set({ adapters: {} }) },
  { what: 'an adapter path that is a number', file: XLORA_CFG, make: set({ adapters: { 0: 5 } }) },
  { what: 'an adapter path that does not exist', file: XLORA_CFG, make: set({ adapters: { 0: 'adapters/nope', 1: 'adapters/lora_qkvo_r8', 2: 'adapters/lora_mlp_r2' } }), names: 'adapter "0"' },
  { what: 'xlora_depth 1e9', file: XLORA_CFG, make: set({ xlora_depth: 1e9 }) },
  { what: 'xlora_depth 0', file: XLORA_CFG, make: set({ xlora_depth: 0 }) },
  { what: 'xlora_depth -1', file: XLORA_CFG, make: set({ xlora_depth: -1 }) },
  { what: 'xlora_size 1e12 with depth 2', file: XLORA_CFG, make: set({ xlora_depth: 2, xlora_size: 1e12 }) },
  { what: 'hidden_size 1e12', file: XLORA_CFG, make: set({ hidden_size: 1e12 }), names: 'adapter_config.json' },
  { what: 'top_k_lora 1e9', file: XLORA_CFG, make: set({ top_k_lora: 1e9 }) },
  { what: 'softmax_temperature a string', file: XLORA_CFG, make: set({ softmax_temperature: 'hot' }) },
  { what: 'scaling_pass_value 1e400 (Infinity)', file: XLORA_CFG, make: rawField('scaling_pass_value', '1e400') },
  { what: 'layerwise_scalings a string', file: XLORA_CFG, make: set({ layerwise_scalings: 'true' }) },
  { what: 'peft_type LORA', file: XLORA_CFG, make: set({ peft_type: 'LORA' }) },
  { what: 'layerwise_scalings true (classifier too small)', file: XLORA_CFG, make: set({ layerwise_scalings: true }), names: CLASSIFIER },
  // classifier adapter_model.safetensors
  { what: 'an I32 classifier weight', file: CLASSIFIER, make: asInt('base_model.internal_xlora_classifier.layers.0.weight', 'I32'), names: CLASSIFIER },
  { what: 'truncated', file: CLASSIFIER, make: (g) => g.subarray(0, 100) },
  { what: 'trailing bytes', file: CLASSIFIER, make: (g) => Uint8Array.from([...g, 1]) },
  { what: 'no bias', file: CLASSIFIER, make: tensors((t) => { for (const k of Object.keys(t)) if (k.endsWith('.bias')) delete t[k]; }) },
  { what: 'a wrong weight shape', file: CLASSIFIER, make: header((h) => { for (const e of Object.values(h)) if (e.shape.length === 2) e.shape.reverse(); }) },
  { what: 'missing', file: CLASSIFIER, make: () => null },
  // expert adapter_config.json
  ...jsonFileCases(EXPERT_CFG, 'adapters/lora_qv_r4, which has no adapter_config.json'),
  { what: 'r 0', file: EXPERT_CFG, make: set({ r: 0 }) },
  { what: 'r 1e9', file: EXPERT_CFG, make: set({ r: 1e9 }), names: EXPERT_W },
  { what: 'lora_alpha a string', file: EXPERT_CFG, make: set({ lora_alpha: '8' }) },
  { what: 'lora_alpha NaN', file: EXPERT_CFG, make: rawField('lora_alpha', 'NaN') },
  { what: 'target_modules a number', file: EXPERT_CFG, make: set({ target_modules: 5 }) },
  { what: 'target_modules not covering the weights', file: EXPERT_CFG, make: set({ target_modules: ['k_proj'] }), names: EXPERT_W },
  { what: 'a regex target_modules with layers_to_transform', file: EXPERT_CFG, make: set({ target_modules: '.*q_proj', layers_to_transform: [0] }) },
  { what: 'layers_pattern without layers_to_transform', file: EXPERT_CFG, make: set({ layers_pattern: 'layers', layers_to_transform: null }) },
  { what: 'layers_to_transform -1', file: EXPERT_CFG, make: set({ layers_to_transform: -1 }) },
  { what: 'use_dora true', file: EXPERT_CFG, make: set({ use_dora: true }) },
  { what: 'peft_type XLORA', file: EXPERT_CFG, make: set({ peft_type: 'XLORA' }) },
  { what: 'lora_dropout 2', file: EXPERT_CFG, make: set({ lora_dropout: 2 }) },
  { what: 'rank_pattern 0', file: EXPERT_CFG, make: set({ rank_pattern: { q_proj: 0 } }) },
  { what: 'init_lora_weights a number', file: EXPERT_CFG, make: set({ init_lora_weights: 5 }) },
  { what: 'an unknown field nested 100000 levels deep', file: EXPERT_CFG, make: rawField('x_future', DEEP) },
  { what: 'bias "some"', file: EXPERT_CFG, make: set({ bias: 'some' }) },
  // expert adapter_model.safetensors
  { what: 'lora_A and lora_B ranks differ', file: EXPERT_W, make: tensors((t) => { t[`${Q0}.lora_B.weight`] = { dtype: 'F32', shape: [64, 3], data: new Float32Array(192) }; }) },
  { what: 'a 3-D lora_A', file: EXPERT_W, make: header((h) => { h[`${Q0}.lora_A.weight`].shape = [4, 8, 8]; }) },
  { what: 'an I8 lora_A', file: EXPERT_W, make: header((h) => { const e = h[`${Q0}.lora_A.weight`]; e.dtype = 'I8'; e.shape = [4, 256]; }) },
  { what: 'lora_A with the wrong in_features', file: EXPERT_W, make: header((h) => { const e = h[`${Q0}.lora_A.weight`]; e.shape = [8, 32]; }), names: 'adapters/lora_qv_r4/adapter_model.safetensors' },
  { what: 'lora_B missing', file: EXPERT_W, make: tensors((t) => { delete t[`${Q0}.lora_B.weight`]; }) },
  { what: 'a non-LoRA tensor', file: EXPERT_W, make: tensors((t) => { t['base_model.model.model.norm.weight'] = { dtype: 'F32', shape: [64], data: new Float32Array(64) }; }) },
  { what: 'a DoRA magnitude vector', file: EXPERT_W, make: tensors((t) => { t[`${Q0}.lora_magnitude_vector`] = { dtype: 'F32', shape: [64], data: new Float32Array(64) }; }) },
  { what: 'no tensors', file: EXPERT_W, make: () => buildSafetensors({}) },
  { what: 'header length one byte short', file: EXPERT_W, make: headerLength(-1) },
  { what: 'trailing bytes', file: EXPERT_W, make: (g) => Uint8Array.from([...g, 0]) },
  { what: 'missing', file: EXPERT_W, make: () => null },
];

describe('malformed model files: every one is an InputError naming the file', () => {
  const good = filesUnder(PEFT_FIXTURES);

  it(`probes ${cases.length} malformed inputs (at least 50)`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    expect(new Set(cases.map((c) => `${c.file}: ${c.what}`)).size).toBe(cases.length);
  });

  for (const c of cases) {
    it(`${c.file}: ${c.what}`, async () => {
      const files = new Map(good);
      const bytes = c.make(good.get(c.file) ?? good.get(BASE_W)!);
      if (bytes === null) files.delete(c.file);
      else files.set(c.file, bytes);
      let caught: unknown;
      try {
        await loadXLoraModel({ source: sourceOf(files), baseDir: 'base', xloraDir: 'cases/a_default/xlora', adapterRoot: '', backend: await createCpuBackend() });
      } catch (err) {
        caught = err;
      }
      expect(caught, 'loaded without an error').toBeInstanceOf(InputError);
      expect((caught as Error).message).toContain(c.names ?? c.file);
    }, 5000);
  }
});

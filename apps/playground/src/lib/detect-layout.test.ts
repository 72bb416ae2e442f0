import { describe, expect, it } from 'vitest';
import { commonFolder, detectLayout } from './detect-layout.js';

const XLORA_CFG = JSON.stringify({ peft_type: 'XLORA', adapters: { '0': 'experts/prose', '1': 'experts/code' } });
const LORA_CFG = JSON.stringify({ peft_type: 'LORA', r: 8 });

function tree(files: Record<string, string>) {
  return { paths: Object.keys(files), read: async (p: string) => files[p] };
}

describe('detectLayout', () => {
  it('finds base, checkpoint and expert root in one picked folder (the demo layout)', async () => {
    const { paths, read } = tree({
      'demo/base/config.json': '{}', 'demo/base/model.safetensors': '', 'demo/base/tokenizer.json': '{}',
      'demo/xlora/adapter_config.json': XLORA_CFG, 'demo/xlora/adapter_model.safetensors': '',
      'demo/experts/prose/adapter_config.json': LORA_CFG, 'demo/experts/prose/adapter_model.safetensors': '',
      'demo/experts/code/adapter_config.json': LORA_CFG, 'demo/experts/code/adapter_model.safetensors': '',
      'demo/README.md': '',
    });
    const layout = await detectLayout(paths, read);
    expect(layout).toEqual({ baseDir: 'demo/base', xloraDir: 'demo/xlora', adapterRoot: 'demo', notes: [] });
  });

  it('resolves expert paths against the checkpoint folder when they are saved next to it', async () => {
    const { paths, read } = tree({
      'llama/config.json': '{}', 'llama/model.safetensors': '',
      'run/ckpt/adapter_config.json': JSON.stringify({ peft_type: 'XLORA', adapters: { '0': 'a', '1': 'b' } }),
      'run/ckpt/adapter_model.safetensors': '',
      'run/ckpt/a/adapter_config.json': LORA_CFG, 'run/ckpt/b/adapter_config.json': LORA_CFG,
    });
    const layout = await detectLayout(paths, read);
    expect(layout.baseDir).toBe('llama');
    expect(layout.xloraDir).toBe('run/ckpt');
    expect(layout.adapterRoot).toBe('run/ckpt');
  });

  it('still names folders for incomplete sets so that the loader reports what is missing', async () => {
    const { paths, read } = tree({ 'm/base/model.safetensors': '', 'm/xlora/adapter_config.json': XLORA_CFG });
    const layout = await detectLayout(paths, read);
    expect(layout.baseDir).toBe('m/base');
    expect(layout.xloraDir).toBe('m/xlora');
    expect(layout.notes.join(' ')).toMatch(/looks incomplete/);
    expect(layout.notes.join(' ')).toMatch(/experts not found/);
    const none = await detectLayout(['x/readme.txt'], async () => undefined);
    expect(none).toMatchObject({ baseDir: 'x', xloraDir: 'x', adapterRoot: 'x' });
  });

  it('takes a .gguf file as the base model (by its path: the loader reads config and tokenizer from it)', async () => {
    const { paths, read } = tree({
      'm/tinyllama-q4_0.gguf': '',
      'm/xlora/adapter_config.json': XLORA_CFG, 'm/xlora/adapter_model.safetensors': '',
      'm/experts/prose/adapter_config.json': LORA_CFG, 'm/experts/code/adapter_config.json': LORA_CFG,
    });
    expect(await detectLayout(paths, read)).toEqual({ baseDir: 'm/tinyllama-q4_0.gguf', xloraDir: 'm/xlora', adapterRoot: 'm', notes: [] });
    // a GGUF in its own folder, with a tokenizer.json beside it, picked on its own (checkpoint picked later)
    const alone = await detectLayout(['base/Model.Q8_0.GGUF', 'base/tokenizer.json'], async () => undefined);
    expect(alone.baseDir).toBe('base/Model.Q8_0.GGUF');
    expect(alone.notes).toEqual(['no X-LoRA checkpoint found (adapter_config.json with "peft_type": "XLORA", or xlora_config.json)']);
  });

  it('picks one of several GGUF files (shallowest, then by name) and says so; GGUFs in adapter folders are not bases', async () => {
    const { paths, read } = tree({
      'm/base/b.gguf': '', 'm/base/a.gguf': '', 'm/deeper/x/z.gguf': '',
      'm/xlora/adapter_config.json': XLORA_CFG, 'm/xlora/lora.gguf': '',
      'm/experts/prose/adapter_config.json': LORA_CFG, 'm/experts/prose/prose.gguf': '',
      'm/experts/code/adapter_config.json': LORA_CFG,
    });
    const layout = await detectLayout(paths, read);
    expect(layout.baseDir).toBe('m/base/a.gguf');
    expect(layout.notes).toEqual(['several GGUF files found (m/base/a.gguf, m/base/b.gguf, m/deeper/x/z.gguf); using m/base/a.gguf']);
  });

  it('prefers the GGUF over a transformers folder in the same pick, naming the folder', async () => {
    const { paths, read } = tree({
      'm/hf/config.json': '{}', 'm/hf/model.safetensors': '', 'm/q8.gguf': '',
      'm/xlora/adapter_config.json': XLORA_CFG,
      'm/experts/prose/adapter_config.json': LORA_CFG, 'm/experts/code/adapter_config.json': LORA_CFG,
    });
    const layout = await detectLayout(paths, read);
    expect(layout.baseDir).toBe('m/q8.gguf');
    expect(layout.notes).toEqual(['also found a transformers base model in m/hf; using the GGUF file']);
  });

  it('names both kinds of base model when there is none', async () => {
    const layout = await detectLayout(['m/xlora/adapter_config.json'], async () => XLORA_CFG);
    expect(layout.notes).toContain('no base model found (a .gguf file, or a folder with config.json + model.safetensors)');
  });

  it('commonFolder', () => {
    expect(commonFolder(['a/b/c.txt', 'a/b/d/e.txt'])).toBe('a/b');
    expect(commonFolder(['a/x', 'b/y'])).toBe('');
    expect(commonFolder([])).toBe('');
  });
});

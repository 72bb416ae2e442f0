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

  it('commonFolder', () => {
    expect(commonFolder(['a/b/c.txt', 'a/b/d/e.txt'])).toBe('a/b');
    expect(commonFolder(['a/x', 'b/y'])).toBe('');
    expect(commonFolder([])).toBe('');
  });
});

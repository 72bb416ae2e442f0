import { describe, expect, it } from 'vitest';
import { loadXLoraCheckpoint } from './load-xlora-checkpoint.js';
import { DEMO_MODEL, expectInputError, filesUnder, sourceOf } from './test-helpers.js';

/** The demo checkpoint at `ckpt`, its experts (adapters "0".."2" = experts/prose, experts/code, experts/math) at the given roots. */
function tree(ckpt: string, expertRoots: { prose?: string; code?: string; math?: string }) {
  const files = new Map<string, Uint8Array>();
  for (const [p, b] of filesUnder(`${DEMO_MODEL}/xlora`)) files.set(`${ckpt}/${p}`, b);
  for (const [name, root] of Object.entries(expertRoots)) {
    for (const [p, b] of filesUnder(`${DEMO_MODEL}/experts/${name}`)) files.set(`${root}/experts/${name}/${p}`, b);
  }
  return sourceOf(files);
}

describe('expert paths: PEFT resolves against the working directory; the fallback is the checkpoint folder, then its parent', () => {
  it('loads each expert from the first of the three folders that has it, with one notice per expert found by the fallback', async () => {
    const src = tree('proj/xlora', { prose: 'proj', code: 'proj/xlora', math: 'cwd' });
    const notices: string[] = [];
    const ckpt = await loadXLoraCheckpoint(src, 'proj/xlora', { adapterRoot: 'cwd', searchCheckpointDirs: true, notice: (m) => notices.push(m), warn: () => {} });
    expect(ckpt.experts.map((e) => e.dir)).toEqual(['proj/experts/prose', 'proj/xlora/experts/code', 'cwd/experts/math']);
    expect(notices).toEqual([
      'adapter "0": loading expert from proj/experts/prose: path "experts/prose" (from proj/xlora/adapter_config.json) is not under cwd, where PEFT looks; found relative to the checkpoint folder\'s parent',
      'adapter "1": loading expert from proj/xlora/experts/code: path "experts/code" (from proj/xlora/adapter_config.json) is not under cwd, where PEFT looks; found relative to the checkpoint folder',
    ]);
  });

  it('never looks above the checkpoint\'s parent, and blames the adapter that is missing', async () => {
    // prose and code next to the checkpoint's parent; math two levels further up (it used to be found there)
    const src = tree('deep/run/xlora', { prose: 'deep/run', code: 'deep/run', math: '' });
    await expectInputError(
      () => loadXLoraCheckpoint(src, 'deep/run/xlora', { adapterRoot: 'cwd', searchCheckpointDirs: true, notice: () => {}, warn: () => {} }),
      'adapter "2": expert folder not found: path "experts/math" (from deep/run/xlora/adapter_config.json) was looked for at cwd/experts/math, ' +
        'deep/run/xlora/experts/math, deep/run/experts/math; none of them has an adapter_config.json ' +
        '(PEFT resolves adapter paths against the working directory: set adapterRoot, or replace the path with adapterOverrides)',
    );
  });

  it('without searchCheckpointDirs only the working directory counts (PEFT), and the caller\'s option names appear', async () => {
    const src = tree('proj/xlora', { prose: 'cwd', code: 'proj', math: 'cwd' });
    await expectInputError(
      () => loadXLoraCheckpoint(src, 'proj/xlora', { adapterRoot: 'cwd', optionNames: { adapterRoot: '--adapter-root DIR', adapterOverrides: '--adapter KEY=PATH' }, warn: () => {} }),
      'adapter "1": expert folder not found: path "experts/code" (from proj/xlora/adapter_config.json) resolves to cwd/experts/code, which has no adapter_config.json ' +
        '(PEFT resolves adapter paths against the working directory: set --adapter-root DIR, or replace the path with --adapter KEY=PATH)',
    );
  });
});

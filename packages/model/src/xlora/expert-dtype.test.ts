import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@xlora/backend-cpu';
import { dequantize, floatToHalfBits, i32, isPacked, type HostTensor } from '@xlora/core';
import { stackedWeightNames } from '@xlora/lora-layers';
import { describe, expect, it } from 'vitest';
import { nodeFileSource } from '../loading/index.js';
import { loadXLoraModel } from './load-model.js';

const FIXTURES = fileURLToPath(new URL('../../../../test-data/peft-xlora', import.meta.url));

/** The f32 value an f32 takes through an IEEE half (decoded here from the bits' definition). */
function throughHalf(x: number): number {
  const h = floatToHalfBits(x);
  const sign = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  return e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
}

describe('expertDtype', () => {
  it("'f16' stores the stacked expert matrices as packed f16 (their f16 roundings), the base and classifier untouched", async () => {
    const backend = await createCpuBackend();
    const load = (expertDtype?: 'f16') => loadXLoraModel({ source: nodeFileSource(FIXTURES), baseDir: 'base', xloraDir: 'cases/a_default/xlora', adapterRoot: '', backend, expertDtype });
    const [half, full] = [await load('f16'), await load()];
    const hw = half.stepGraph().weights, fw = full.stepGraph().weights;
    let experts = 0;
    for (const m of half.wrappedModules) {
      const names = stackedWeightNames(m.modulePath);
      for (const name of [names.a, names.b]) {
        const h = hw.get(name)!, f = fw.get(name)! as HostTensor<'f32'>;
        expect(isPacked(h) && h.format, name).toBe('f16');
        expect(Array.from(dequantize(h).data), name).toEqual(Array.from(f.data, throughHalf));
        experts++;
      }
    }
    expect(experts).toBeGreaterThan(0);
    for (const [name, t] of half.parts.baseWeights) expect(hw.get(name), name).toBe(t); // the base weights go to compile as loaded
    for (const [name, t] of hw) if (!/xlora_(A|B)_hat$/.test(name)) expect(isPacked(t), name).toBe(false);
    const ids = i32([1, 5], [3, 17, 42, 8, 99]);
    const a = (await half.forward(ids)).logits.data, b = (await full.forward(ids)).logits.data;
    const diff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(1e-2);
  });
});

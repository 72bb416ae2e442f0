import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCpuBackend } from '@xlora/backend-cpu';
import { dequantize, f32, type HostTensor } from '@xlora/core';
import { floatToBf16Bits, floatToHalfBits } from '@xlora/core';
import { loadXLoraModel, nodeFileSource, writeSafetensors, XLoraModel } from '@xlora/model';
import { describe, expect, it } from 'vitest';
import { fixtureRoots } from './fixtures/fixture-roots.js';
import { readTensorFile } from './fixtures/peft-fixture.js';

/** The value an f32 takes after a round trip through a 16-bit float (decoded here independently of the loader). */
const fromBf16 = (x: number) => new Float32Array(new Uint32Array([floatToBf16Bits(x) << 16]).buffer)[0];
function fromHalf(x: number): number {
  const h = floatToHalfBits(x);
  const sign = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

describe('F16 and BF16 base weights', () => {
  for (const [dtype, round] of [['BF16', fromBf16], ['F16', fromHalf]] as const) {
    it(`${dtype} files load and run exactly like the same weights rounded in memory, close to PEFT's f32 outputs`, async () => {
      const peft = fixtureRoots().peft;
      const backend = await createCpuBackend();
      const f32Model = await loadXLoraModel({ source: nodeFileSource(peft), baseDir: 'base', xloraDir: 'cases/a_default/xlora', adapterRoot: '', backend });
      const dir = mkdtempSync(join(tmpdir(), `xlora-${dtype}-`));
      copyFileSync(`${peft}/base/config.json`, join(dir, 'config.json'));
      const f32Weights = new Map([...f32Model.parts.baseWeights].map(([k, t]) => [k, dequantize(t)])); // the F32 fixture: as loaded
      writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(Object.fromEntries(f32Weights), { format: 'pt' }, { floatDtype: dtype }));
      const halfModel = await loadXLoraModel({ source: nodeFileSource('/'), baseDir: dir, xloraDir: `${peft}/cases/a_default/xlora`, adapterRoot: peft, backend });
      const rounded = new Map<string, HostTensor>([...f32Weights].map(([k, t]) => [k, f32(t.shape, Float32Array.from(t.data, round))]));
      const reference = new XLoraModel({ ...f32Model.parts, baseWeights: rounded }, backend);
      const common = await readTensorFile(nodeFileSource(peft), 'common.safetensors');
      const ids = common.get('inputs.unpadded.input_ids');
      const got = await halfModel.forward(ids);
      const want = await reference.forward(ids);
      expect(Array.from(got.logits.data)).toEqual(Array.from(want.logits.data));
      const peftLogits = (await readTensorFile(nodeFileSource(peft), 'cases/a_default/expected.safetensors')).get('unpadded.logits');
      const drift = Math.max(...got.logits.data.map((v, i) => Math.abs(v - peftLogits.data[i])));
      expect(drift).toBeGreaterThan(0); // really rounded
      expect(drift).toBeLessThan(dtype === 'BF16' ? 0.1 : 0.01);
    });
  }
});

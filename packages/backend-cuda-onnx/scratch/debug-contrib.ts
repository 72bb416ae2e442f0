import { GraphBuilder } from '@xlora/core';
import { opCases } from '../../testkit/src/op-cases.ts';
import { checkOpCase } from '../../testkit/src/op-check.ts';
import { randomF32, rng } from '../../testkit/src/random.ts';
import { createOnnxBackend } from '../src/index.ts';

const backend = await createOnnxBackend({ ep: 'cpu', export: { contribOps: { simplifiedLayerNorm: true, rotaryEmbedding: { maxPositions: 256 } } } });
const cases = opCases().filter((c) => /RmsNorm|Rope/.test(c.name));
// residual add + norm (Skip fusion), with the sum also an output
const g = new GraphBuilder('skipnorm');
const rand = rng(3);
const feeds = { a: randomF32(rand, [2, 3, 16]), b: randomF32(rand, [2, 3, 16]) };
const w = new Map([['w', randomF32(rand, [16])]]);
const sum = g.addT(g.input('a', 'f32', ['batch', 'seq', 16]), g.input('b', 'f32', ['batch', 'seq', 16]), 'sum');
g.output('y', g.rmsNorm(sum, g.weight('w', [16]), { eps: 1e-6 }, 'y'));
g.output('sum', sum);
cases.push({ name: 'skip norm', graph: g.build(), weights: w, feeds });
for (const c of cases) {
  try {
    const f = await checkOpCase(backend, c);
    console.log(f.length ? 'FAIL' : 'ok  ', c.name, f.join('\n'));
  } catch (e) {
    console.log('ERR ', c.name, (e as Error).message.slice(0, 900));
  }
}

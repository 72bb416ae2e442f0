import { opCases } from '../../testkit/src/op-cases.ts';
import { checkOpCase } from '../../testkit/src/op-check.ts';
import { createOnnxBackend } from '../src/index.ts';
import { createOrtWebBackend } from '../src/web/index.ts';

const which = process.argv[2] ?? 'cpu';
const backend = which === 'wasm' ? await createOrtWebBackend({ ep: 'wasm' }) : await createOnnxBackend({ ep: which as 'cpu' });
console.log(backend.info);
for (const c of opCases()) {
  try {
    const f = await checkOpCase(backend, c);
    console.log(f.length ? 'FAIL' : 'ok  ', c.name, f.join('\n'));
  } catch (e) {
    console.log('ERR ', c.name, (e as Error).message.slice(0, 600));
  }
}
backend.dispose();

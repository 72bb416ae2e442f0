import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pc from 'picocolors';
import { i32, InputError } from '@xlora/core';
import type { LoadDtype } from '@xlora/model';
import { startBackend } from '../lib/backend-choice.js';
import { colorFor, expertNames, leader, legend, meanOverLayers, printable } from '../lib/expert-view.js';
import { loadFromArgs } from '../lib/load.js';

/**
 * The bundled model: inside the installed package (models/ is copied in when the package is packed), else the
 * repository's models/ folder (running from a checkout).
 */
const DEMO_DIRS = [
  fileURLToPath(new URL('../../models/xlora-demo/', import.meta.url)),
  fileURLToPath(new URL('../../../../models/xlora-demo/', import.meta.url)),
];
export const DEMO_DIR = DEMO_DIRS.find((d) => existsSync(`${d}base/config.json`)) ?? DEMO_DIRS[0];
/**
 * The demo's classifier: retrained with `xlora train` (models/xlora-demo/xlora-retrained/README.md), better than PEFT's
 * on the held-out split and cleaner in its routing; PEFT's own checkpoint stays in xlora/ (the goldens are its outputs).
 */
export const DEMO_CLASSIFIER = 'xlora-retrained';
export const DEMO_PROMPT = 'The function below adds two numbers.\ndef add(a, b):\n    return a + b\n# 12+30=';

export interface DemoArgs {
  prompt: string;
  maxNewTokens: number;
  backend: string;
  /** --dtype: storage format of the base weights */
  dtype?: LoadDtype;
}

/**
 * The main job: the bundled three-expert model (prose / code / math) reads a mixed prompt and continues it;
 * every byte is coloured by the expert the classifier weighted most (mean over layers) at that position.
 */
export async function demoCommand(args: DemoArgs): Promise<void> {
  if (!existsSync(`${DEMO_DIR}base/config.json`)) {
    throw new InputError(`the bundled demo model is not in this install (looked in ${DEMO_DIRS.join(' and ')}): run \`xlora generate --model BASE --xlora CKPT\` on your own model`);
  }
  const backend = await startBackend(args.backend);
  try {
    const model = await loadFromArgs({ model: `${DEMO_DIR}base`, xlora: `${DEMO_DIR}${DEMO_CLASSIFIER}`, adapterRoot: DEMO_DIR, dtype: args.dtype }, backend);
    const tok = model.parts.tokenizer!;
    const names = expertNames(model.parts.xloraConfig.adapters);
    const promptIds = tok.encode(args.prompt);
    const started = performance.now();
    model.logger.enable();
    const result = await model.generate(i32([1, promptIds.length], promptIds), { maxNewTokens: args.maxNewTokens });
    const seconds = (performance.now() - started) / 1000;
    const scalings = model.getLatestScalings()!; // [1, P+N-1, L, C]: the scalings at every position but the last
    const ids = result.tokens[0];
    const shares = new Array<number>(names.length).fill(0);
    // without colours (a pipe, NO_COLOR) each run of bytes with the same leading expert gets a «name» tag
    let previous = -1;
    const colored = ids.slice(0, scalings.shape[1]).map((id, pos) => {
      const lead = leader(meanOverLayers(scalings, 0, pos));
      shares[lead]++;
      const text = tok.decode([id]);
      const tag = !pc.isColorSupported && lead !== previous ? `«${names[lead]}»` : '';
      previous = lead;
      return tag + colorFor(lead)(text === '\n' ? '⏎\n' : printable(text));
    }).join('');
    const out = [
      `X-LoRA demo: ${model.numExperts} experts, ${model.numLayers} LoRA layers, backend ${backend.info.name} (${backend.info.device})`,
      `each byte is coloured by the expert the classifier weighted most when reading it:  ${legend(names)}`,
      '',
      colored,
      '',
      `prompt ${promptIds.length} bytes, generated ${ids.length - promptIds.length} (greedy) in ${seconds.toFixed(2)} s: ${JSON.stringify(tok.decode(ids.slice(promptIds.length)))}`,
      `leading expert share: ${names.map((n, i) => colorFor(i)(`${n} ${((100 * shares[i]) / scalings.shape[1]).toFixed(0)}%`)).join('  ')}`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    backend.dispose();
  }
}

import { DOMAINS, readSplits, type Domain } from './corpus.js';
import { evaluateWindows, WINDOW_BYTES, windowStarts, type DomainEval } from './heldout-eval.js';
import { loadDemoModel, type DemoModelPaths } from './load-demo-model.js';
import { routingDemo, type RoutingDemo } from './routing-demo.js';

/** What `retrain-demo eval` writes (and `compare` reads). */
export interface EvalOutput {
  checkpoint: string;
  model: string;
  adapterRoot: string;
  corpus: string;
  windowsPerDomain: number;
  windowBytes: number;
  /** expert names in class order (X-LoRA class c = DOMAINS[c]) */
  experts: string[];
  heldout: Record<Domain, DomainEval>;
  routingDemo: RoutingDemo;
  seconds: number;
}

/** The demo README's held-out evaluation of every domain and its routing demo, for one checkpoint. */
export async function evalCheckpoint(paths: DemoModelPaths, corpus: string, windows: number, prompt: string, log: (m: string) => void): Promise<EvalOutput> {
  const t0 = performance.now();
  const streams = await readSplits(corpus, 'eval', WINDOW_BYTES + 1);
  const { model, backend } = await loadDemoModel(paths, (m) => log(`note: ${m}`));
  try {
    const heldout = {} as Record<Domain, DomainEval>;
    for (const domain of DOMAINS) {
      const t = performance.now();
      const starts = windowStarts(streams[domain].length, windows, `${corpus}/${domain}.eval.bin`);
      heldout[domain] = await evaluateWindows(model, streams[domain], starts);
      log(`${domain}: loss ${heldout[domain].loss.toFixed(4)} over ${heldout[domain].tokens} bytes (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    }
    const demo = await routingDemo(model, prompt, DOMAINS);
    return {
      checkpoint: paths.xlora, model: paths.model, adapterRoot: paths.adapterRoot, corpus, windowsPerDomain: windows, windowBytes: WINDOW_BYTES,
      experts: [...DOMAINS], heldout, routingDemo: demo, seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    backend.dispose();
  }
}

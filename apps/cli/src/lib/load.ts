import cliProgress from 'cli-progress';
import type { Backend } from '@xlora/core';
import { loadXLoraModel, nodeFileSource, type LoadDtype, type XLoraModel } from '@xlora/model';
import { fromUser, userCwd } from './paths.js';

export interface ModelArgs {
  model: string;
  xlora: string;
  adapterRoot?: string;
  adapter?: string[];
  /** --dtype: storage format of the base weights (default: as stored) */
  dtype?: LoadDtype;
}

function parseOverrides(pairs: string[] = []): Record<string, string> {
  return Object.fromEntries(pairs.map((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`--adapter expects KEY=PATH (e.g. 0=experts/prose), got "${p}"`);
    return [p.slice(0, eq), fromUser(p.slice(eq + 1))];
  }));
}

/** Loads the model from the user's paths, with a progress bar on a terminal. */
export async function loadFromArgs(args: ModelArgs, backend: Backend): Promise<XLoraModel> {
  const xloraDir = fromUser(args.xlora);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: 'loading {file} [{bar}] {percentage}% {value}/{total} MB', stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic)
    : null;
  let started = false;
  try {
    return await loadXLoraModel({
      source: nodeFileSource('/'),
      baseDir: fromUser(args.model),
      xloraDir,
      // PEFT resolves expert paths against the working directory; without --adapter-root the loader also tries
      // the checkpoint folder and its parent, and says so for each expert it finds there.
      adapterRoot: args.adapterRoot ? fromUser(args.adapterRoot) : userCwd(),
      adapterOverrides: parseOverrides(args.adapter),
      checkpointOptions: {
        searchCheckpointDirs: !args.adapterRoot,
        notice: (message) => process.stderr.write(`note: ${message}\n`),
        optionNames: { adapterRoot: '--adapter-root DIR', adapterOverrides: '--adapter KEY=PATH' },
      },
      backend,
      dtype: args.dtype,
      onNotice: (message) => process.stderr.write(`note: ${message}\n`),
      onProgress: (loaded, total, file) => {
        if (!bar) return;
        const mb = (n: number) => Math.round(n / 1e5) / 10;
        if (!started) {
          bar.start(mb(total), 0, { file: file.split('/').pop() });
          started = true;
        }
        bar.setTotal(mb(total));
        bar.update(mb(loaded), { file: file.split('/').pop() });
      },
    });
  } finally {
    bar?.stop();
  }
}

import { access, constants, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { InputError, XLoraError } from '@xlora/core';
import { compareTables, readEvalOutput } from './compare.js';
import { readSplits } from './corpus.js';
import { evalCheckpoint } from './eval-checkpoint.js';
import { peftReference } from './peft-reference.js';
import { DEFAULT_CORPUS_DIR, DEMO_MODEL_DIR, fromUser } from './paths.js';
import { readRoutingPrompt } from './routing-demo.js';
import { ROW_BYTES, trainingRows } from './training-rows.js';
import { writeJsonlRows } from './write-rows.js';

/** `retrain-demo`: training rows for, and the held-out judgement of, the bundled demo's X-LoRA classifier. */

const RESULTS_FILE = resolve(DEMO_MODEL_DIR, 'results.json');

function integer(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} expects a non-negative integer, got "${value}"`);
    return Number(value);
  };
}

const program = new Command('retrain-demo').description('retrain and judge the bundled xlora-demo classifier').showHelpAfterError();

program.command('data')
  .description('training rows by the demo README\'s sampling recipe, as JSONL {"text"} (128 bytes each) for xlora train --data --seq-len 128')
  .option('--corpus <dir>', 'the xlora-demo corpus folder (<domain>.train.bin)', DEFAULT_CORPUS_DIR)
  .requiredOption('--rows <n>', 'rows to write', integer('--rows'))
  .requiredOption('--seed <s>', 'PRNG seed (same seed, same rows)', integer('--seed'))
  .requiredOption('--out <file>', 'JSONL file to write')
  .option('--segments', 'write {"segments": [{"text", "expert"}]} lines (each piece labelled with its domain\'s expert) for xlora train --routing-weight')
  .action(async (o: { corpus: string; rows: number; seed: number; out: string; segments?: boolean }) => {
    const rows = trainingRows(await readSplits(fromUser(o.corpus), 'train', ROW_BYTES), o.rows, o.seed);
    await writeJsonlRows(fromUser(o.out), rows, !!o.segments);
    const windows = rows.filter((r) => r.kind === 'window').length;
    process.stderr.write(`wrote ${rows.length} rows of ${ROW_BYTES} bytes (${windows} windows, ${rows.length - windows} stitched) to ${o.out}\n`);
  });

program.command('eval')
  .description('the demo README\'s held-out evaluation (loss, mean scalings, argmax share per domain) and routing demo of one checkpoint, on cpu')
  .requiredOption('--xlora <dir>', 'X-LoRA checkpoint folder')
  .option('--model <dir>', 'base model folder', resolve(DEMO_MODEL_DIR, 'base'))
  .option('--adapter-root <dir>', 'folder the checkpoint\'s expert paths resolve against', DEMO_MODEL_DIR)
  .option('--corpus <dir>', 'the xlora-demo corpus folder (<domain>.eval.bin)', DEFAULT_CORPUS_DIR)
  .option('--windows <n>', 'evenly spaced 128-byte windows per domain', integer('--windows'), 128)
  .option('--out <file>', 'write the result as JSON (else to stdout)')
  .action(async (o: { xlora: string; model: string; adapterRoot: string; corpus: string; windows: number; out?: string }) => {
    const paths = { xlora: fromUser(o.xlora), model: fromUser(o.model), adapterRoot: fromUser(o.adapterRoot) };
    const outFile = o.out === undefined ? undefined : fromUser(o.out);
    if (outFile) await access(dirname(outFile), constants.W_OK).catch(() => { throw new InputError(`--out ${o.out}: its folder does not exist or is not writable`); });
    const log = (m: string) => process.stderr.write(`${m}\n`);
    const result = await evalCheckpoint(paths, fromUser(o.corpus), o.windows, await readRoutingPrompt(RESULTS_FILE), log);
    log(`routing demo: ${result.routingDemo.switches} top-expert switches: ${result.routingDemo.topString}`);
    log(`evaluated in ${result.seconds.toFixed(1)} s`);
    const json = `${JSON.stringify(result, null, 1)}\n`;
    if (outFile) await writeFile(outFile, json);
    else process.stdout.write(json);
  });

program.command('compare')
  .description('markdown tables of several eval outputs (held-out loss, argmax share, routing demo)')
  .argument('<files...>', 'eval outputs (JSON); FILE=LABEL names a row')
  .option('--peft', 'add a row with PEFT\'s own figures for the shipped checkpoint (the demo\'s results.json)')
  .action(async (files: string[], o: { peft?: boolean }) => {
    const runs = await Promise.all(files.map(async (arg) => {
      const eq = arg.lastIndexOf('=');
      const [file, label] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, arg];
      return { label, out: await readEvalOutput(fromUser(file)) };
    }));
    if (o.peft) runs.unshift({ label: 'PEFT (results.json; prose on its own split)', out: await peftReference(RESULTS_FILE) });
    process.stdout.write(compareTables(runs));
  });

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`retrain-demo: ${err instanceof XLoraError ? err.message : (err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});

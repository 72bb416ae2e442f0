import { f32, InputError, type HostTensor } from '@xlora/core';
import { writeSafetensors } from '../io/safetensors-writer.js';
import { parseSafetensors } from '../loading/safetensors-file.js';
import { AdamW } from './adamw.js';
import type { Optimizer } from './optimizer.js';

/** Files a periodic checkpoint adds to the PEFT files, for `--resume`. */
export const TRAINING_STATE_FILE = 'training_state.json';
export const OPTIMIZER_STATE_FILE = 'optimizer.safetensors';

/**
 * What a resumed run must agree on with the run that saved (the data order, the schedule and the optimizer follow
 * from these and the step), plus the step reached. `settings` is compared key by key on resume.
 */
export interface TrainingState {
  step: number;
  settings: Record<string, string | number | boolean | null>;
  /** the losses of steps 1..step, so the log of a resumed run is whole */
  losses: number[];
}

/** The optimizer's state as a safetensors file: per parameter `<name>.exp_avg` and `<name>.exp_avg_sq` (torch's names), metadata step. */
export function optimizerStateFile(optimizer: Optimizer): Uint8Array {
  const tensors: Record<string, HostTensor> = {};
  let step = 0;
  if (optimizer instanceof AdamW) {
    const st = optimizer.state();
    step = st.step;
    for (const [name, { m, v }] of st.moments) {
      tensors[`${name}.exp_avg`] = f32([m.length], m);
      tensors[`${name}.exp_avg_sq`] = f32([v.length], v);
    }
  }
  return writeSafetensors(tensors, { format: 'pt', optimizer: optimizer.name, step: String(step) });
}

/** Restores what optimizerStateFile saved into a fresh optimizer of the same kind. */
export function loadOptimizerState(optimizer: Optimizer, bytes: Uint8Array, file: string): void {
  const f = parseSafetensors(bytes, file);
  const meta = f.metadata ?? {};
  if (meta.optimizer !== optimizer.name) throw new InputError(`${file}: saved by optimizer "${meta.optimizer}", but this run uses "${optimizer.name}"`);
  if (!(optimizer instanceof AdamW)) return;
  const step = Number(meta.step);
  if (!Number.isInteger(step) || step < 0) throw new InputError(`${file}: metadata "step" must be an integer >= 0, got ${meta.step}`);
  const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  for (const key of f.names()) {
    if (!key.endsWith('.exp_avg')) continue;
    const name = key.slice(0, -'.exp_avg'.length);
    if (!f.names().includes(`${name}.exp_avg_sq`)) throw new InputError(`${file}: "${key}" has no "${name}.exp_avg_sq"`);
    moments.set(name, { m: f.getF32(key).data as Float32Array, v: f.getF32(`${name}.exp_avg_sq`).data as Float32Array });
  }
  optimizer.loadState(step, moments);
}

/** Parses training_state.json and checks that this run's settings are the saved run's. */
export function parseTrainingState(text: string, file: string, settings: TrainingState['settings']): TrainingState {
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const st = s as Partial<TrainingState>;
  if (typeof st !== 'object' || st === null || !Number.isInteger(st.step) || (st.step as number) < 0) throw new InputError(`${file}: field "step" must be an integer >= 0`);
  if (typeof st.settings !== 'object' || st.settings === null) throw new InputError(`${file}: field "settings" must be an object`);
  if (!Array.isArray(st.losses) || st.losses.length !== st.step || !st.losses.every((l) => typeof l === 'number')) throw new InputError(`${file}: field "losses" must list ${st.step} numbers`);
  for (const key of new Set([...Object.keys(settings), ...Object.keys(st.settings)])) {
    if (st.settings[key] !== settings[key]) {
      throw new InputError(`${file}: the saved run had ${key} = ${JSON.stringify(st.settings[key])}, this one ${JSON.stringify(settings[key])}; resume with the same settings`);
    }
  }
  return st as TrainingState;
}

import type { FieldReader } from './json-fields.js';

/** The PeftConfig fields PEFT writes into every adapter_config.json (besides peft_type). */
export interface PeftCommonFields {
  /** `task_type`, normally "CAUSAL_LM". */
  taskType: string | null;
  /** `peft_version` of the PEFT that saved the file (null when absent, e.g. files from PEFT < 0.14). */
  peftVersion: string | null;
  baseModelNameOrPath: string | null;
  revision: string | null;
  inferenceMode: boolean;
  autoMapping: Record<string, unknown> | null;
}

export function readPeftCommon(r: FieldReader): PeftCommonFields {
  return {
    taskType: r.nullableStr('task_type', null),
    peftVersion: r.nullableStr('peft_version', null),
    baseModelNameOrPath: r.nullableStr('base_model_name_or_path', null),
    revision: r.nullableStr('revision', null),
    inferenceMode: r.bool('inference_mode', false),
    autoMapping: r.nullableObject('auto_mapping', null),
  };
}

export function writePeftCommon(c: PeftCommonFields): Record<string, unknown> {
  return {
    task_type: c.taskType,
    peft_version: c.peftVersion,
    base_model_name_or_path: c.baseModelNameOrPath,
    revision: c.revision,
    inference_mode: c.inferenceMode,
    auto_mapping: c.autoMapping,
  };
}

/** Checks `peft_type` (marks it read). Absent is accepted: older files and hand-written ones may omit it. */
export function checkPeftType(r: FieldReader, want: string): void {
  const v = r.raw('peft_type');
  if (v !== undefined && v !== want) r.fail('peft_type', `"${want}"`);
}

import { formatShape, type HostTensor } from '@xlora/core';

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** The fixtures' rule: |got − want| ≤ atol + rtol·|want|, elementwise. */
export const FIXTURE_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-4 };

export interface CloseReport {
  ok: boolean;
  maxAbsDiff: number;
  worstIndex: number;
  message: string;
}

/**
 * Compares float data elementwise. `valid(i)` (optional) restricts the comparison to some flat indices
 * (e.g. non-pad positions).
 */
export function compareClose(
  label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance = FIXTURE_TOLERANCE,
  valid?: (flatIndex: number) => boolean,
): CloseReport {
  if (got.length !== want.length) {
    return { ok: false, maxAbsDiff: Infinity, worstIndex: -1, message: `${label}: length ${got.length} != expected ${want.length}` };
  }
  let maxAbsDiff = 0, worstIndex = -1, bad = 0, firstBad = -1;
  for (let i = 0; i < got.length; i++) {
    if (valid && !valid(i)) continue;
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= tol.atol + tol.rtol * Math.abs(want[i]))) {
      bad++;
      if (firstBad < 0) firstBad = i;
    }
    if (!(d <= maxAbsDiff)) {
      maxAbsDiff = d;
      worstIndex = i;
    }
  }
  const message = bad
    ? `${label}: ${bad} of ${got.length} values out of tolerance (first at ${firstBad}: got ${got[firstBad]}, want ${want[firstBad]}); max |diff| ${maxAbsDiff}`
    : `${label}: ok, max |diff| ${maxAbsDiff}`;
  return { ok: bad === 0, maxAbsDiff, worstIndex, message };
}

/** Throws with a readable message when tensors differ beyond the tolerance or in shape. */
export function assertClose(label: string, got: HostTensor, want: HostTensor, tol: Tolerance = FIXTURE_TOLERANCE,
  valid?: (flatIndex: number) => boolean): number {
  if (got.shape.join(',') !== want.shape.join(',')) {
    throw new Error(`${label}: shape ${formatShape(got.shape)} != expected ${formatShape(want.shape)}`);
  }
  const r = compareClose(label, got.data, want.data, tol, valid);
  if (!r.ok) throw new Error(r.message);
  return r.maxAbsDiff;
}

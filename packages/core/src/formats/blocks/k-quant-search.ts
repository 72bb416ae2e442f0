/**
 * The scale searches of ggml's k-quant reference quantizers (ggml-quants.c: nearest_int, make_qkx2_quants,
 * make_qx_quants), re-derived here with the same f32 arithmetic: every intermediate is rounded to f32
 * (Math.fround) in the order the C expressions evaluate, so the searches take the same branches as ggml's.
 */

const f = Math.fround;

/** ggml's nearest_int: x + 1.5·2^23 in f32 leaves round-half-to-even(x) in the low mantissa bits. */
export function nearestInt(x: number): number {
  return f(f(x) + 12582912) - 12582912;
}

/** GROUP_MAX_EPS: a group whose largest magnitude is below this is all zero. */
export const GROUP_MAX_EPS = f(1e-15);

/**
 * make_qkx2_quants: levels L[i] in 0..nmax for x[i] ≈ scale·L[i] − min (min ≥ 0), chosen by a weighted
 * least-squares search over nstep+1 trial inverse scales (rmin + rdelta·is + nmax)/(max − min).
 * Reads x[xOff..xOff+n), weights[0..n); writes L[lOff..lOff+n); returns [scale, min].
 */
export function makeQkx2Quants(
  n: number, nmax: number, x: Float32Array, xOff: number, weights: Float32Array, L: Uint8Array, lOff: number,
  laux: Uint8Array, rmin: number, rdelta: number, nstep: number, useMad: boolean,
): [number, number] {
  let min = x[xOff];
  let max = x[xOff];
  let sumW = weights[0];
  let sumX = f(sumW * x[xOff]);
  for (let i = 1; i < n; i++) {
    const v = x[xOff + i];
    if (v < min) min = v;
    if (v > max) max = v;
    const w = weights[i];
    sumW = f(sumW + w);
    sumX = f(sumX + f(w * v));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, lOff, lOff + n);
    return [0, -min];
  }
  const range = f(max - min);
  let iscale = f(nmax / range);
  let scale = f(1 / iscale);
  const error = (diff: number): number => (useMad ? Math.abs(diff) : f(diff * diff));
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xOff + i];
    const l = Math.max(0, Math.min(nmax, nearestInt(f(iscale * f(v - min)))));
    L[lOff + i] = l;
    bestError = f(bestError + f(weights[i] * error(f(f(f(scale * l) + min) - v))));
  }
  if (nstep < 1) return [scale, -min];
  for (let is = 0; is <= nstep; is++) {
    iscale = f(f(f(rmin + f(rdelta * is)) + nmax) / range);
    let sumL = 0, sumL2 = 0, sumXL = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xOff + i];
      const l = Math.max(0, Math.min(nmax, nearestInt(f(iscale * f(v - min)))));
      laux[i] = l;
      const wl = f(weights[i] * l);
      sumL = f(sumL + wl);
      sumL2 = f(sumL2 + f(wl * l));
      sumXL = f(sumXL + f(wl * v));
    }
    const D = f(f(sumW * sumL2) - f(sumL * sumL));
    if (!(D > 0)) continue;
    let thisScale = f(f(f(sumW * sumXL) - f(sumX * sumL)) / D);
    let thisMin = f(f(f(sumL2 * sumX) - f(sumL * sumXL)) / D);
    if (thisMin > 0) {
      thisMin = 0;
      thisScale = f(sumXL / sumL2);
    }
    let curError = 0;
    for (let i = 0; i < n; i++) {
      curError = f(curError + f(weights[i] * error(f(f(f(thisScale * laux[i]) + thisMin) - x[xOff + i]))));
    }
    if (curError < bestError) {
      for (let i = 0; i < n; i++) L[lOff + i] = laux[i];
      bestError = curError;
      scale = thisScale;
      min = thisMin;
    }
  }
  return [scale, -min];
}

/**
 * make_qx_quants with rmse_type 1 and no importance weights (weights x²): signed levels L[i] − nmax in
 * [−nmax, nmax−1] for x[i] ≈ scale·(L[i] − nmax), the scale refined by least squares over 19 trial inverse scales
 * −(nmax + 0.1·is)/max, is = −9..9, where max is the signed value of largest magnitude. Returns the scale.
 */
export function makeQxQuants(n: number, nmax: number, x: Float32Array, xOff: number, L: Uint8Array, lOff: number): number {
  let max = 0, amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xOff + i]);
    if (ax > amax) {
      amax = ax;
      max = x[xOff + i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, lOff, lOff + n);
    return 0;
  }
  const level = (iscale: number, v: number) => Math.max(-nmax, Math.min(nmax - 1, nearestInt(f(iscale * v))));
  let iscale = f(-nmax / max);
  let sumLX = 0, sumL2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xOff + i];
    const l = level(iscale, v);
    L[lOff + i] = l + nmax;
    const w = f(v * v);
    sumLX = f(sumLX + f(f(w * v) * l));
    sumL2 = f(sumL2 + f(f(w * l) * l));
  }
  let scale = sumL2 ? f(sumLX / sumL2) : 0;
  let best = f(scale * sumLX);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f(-f(nmax + f(f(0.1) * is)) / max);
    sumLX = 0;
    sumL2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xOff + i];
      const l = level(iscale, v);
      const w = f(v * v);
      sumLX = f(sumLX + f(f(w * v) * l));
      sumL2 = f(sumL2 + f(f(w * l) * l));
    }
    if (sumL2 > 0 && f(sumLX * sumLX) > f(best * sumL2)) {
      for (let i = 0; i < n; i++) L[lOff + i] = level(iscale, x[xOff + i]) + nmax;
      scale = f(sumLX / sumL2);
      best = f(scale * sumLX);
    }
  }
  return scale;
}

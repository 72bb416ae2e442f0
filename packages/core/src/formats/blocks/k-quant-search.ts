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

/**
 * nearestInt of a value that is already an f32, in f64 arithmetic: adding 1.5·2^52 rounds to an integer, ties to
 * even, exactly as nearestInt's f32 addition does for every |x| < 2^22 (and NaN stays NaN), without the two
 * conversions to f32 and back.
 */
function roundHalfEven(x: number): number {
  return x + 6755399441055744 - 6755399441055744;
}

/** GROUP_MAX_EPS: a group whose largest magnitude is below this is all zero. */
export const GROUP_MAX_EPS = f(1e-15);

/** Per group of the pair being searched: x − min, trial levels. Reused. */
let diff = new Float64Array(64);
let trial = new Uint8Array(64);

/** Each group's search state between its setup and its trials. */
const state = { min: [0, 0], max: [0, 0], sumW: [0, 0], sumX: [0, 0], range: [0, 0], best: [0, 0], searching: [false, false] };

/**
 * make_qkx2_quants for `count` consecutive groups of n values: for group g, levels L[lOff + g·n + i] in 0..nmax
 * for x[xOff + g·n + i] ≈ scale·L − min (min ≥ 0), chosen by a weighted least-squares search over nstep+1 trial
 * inverse scales (rmin + rdelta·is + nmax)/(max − min); weights[g·n + i]. Writes scales[g] and mins[g] (ggml's
 * return value and the_min).
 *
 * Every intermediate is an f32 in C's evaluation order, so each group's result is what the one-group C function
 * computes: as in ggml, once a trial beats the best error its min becomes the min of the later trials (both in
 * x − min and in the range max − min). Speed without changing a bit: groups are searched two at a time, each
 * trial step of both in one pass (a group's sums are chains of dependent f32 additions: two chains in flight keep
 * the FPU busy), x − min is computed once per min, and nothing is allocated.
 */
export function makeQkx2Quants(
  count: number, n: number, nmax: number, x: Float32Array, xOff: number, weights: Float32Array, L: Uint8Array, lOff: number,
  rmin: number, rdelta: number, nstep: number, useMad: boolean, scales: Float32Array, mins: Float32Array,
): void {
  if (diff.length < 2 * n) {
    diff = new Float64Array(2 * n);
    trial = new Uint8Array(2 * n);
  }
  // an odd last group is searched beside itself (the same result written twice)
  for (let a = 0; a < count; a += 2) {
    const b = Math.min(a + 1, count - 1);
    setup(0, a, n, nmax, x, xOff, weights, L, lOff, useMad, scales, mins);
    setup(1, b, n, nmax, x, xOff, weights, L, lOff, useMad, scales, mins);
    if (nstep >= 1) searchPair(a, b, n, nmax, x, xOff, weights, L, lOff, rmin, rdelta, nstep, useMad, scales, mins);
  }
}

/** The C function up to its trials for group g (slot 0 or 1 of the pair): min, max, sums, the first levels. */
function setup(
  slot: number, g: number, n: number, nmax: number, x: Float32Array, xOff: number, weights: Float32Array, L: Uint8Array, lOff: number,
  useMad: boolean, scales: Float32Array, mins: Float32Array,
): void {
  const x0 = xOff + g * n, w0 = g * n, d0 = slot * n;
  let lo = x[x0], hi = x[x0];
  let sw = weights[w0];
  let sx = f(sw * x[x0]);
  for (let i = 1; i < n; i++) {
    const v = x[x0 + i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    const w = weights[w0 + i];
    sw = f(sw + w);
    sx = f(sx + f(w * v));
  }
  if (lo > 0) lo = 0;
  state.searching[slot] = false;
  if (hi === lo) {
    L.fill(0, lOff + g * n, lOff + (g + 1) * n);
    scales[g] = 0;
    mins[g] = -lo;
    return;
  }
  const r = f(hi - lo);
  const iscale = f(nmax / r);
  const scale = f(1 / iscale);
  let e0 = 0;
  for (let i = 0; i < n; i++) {
    const d = f(x[x0 + i] - lo);
    diff[d0 + i] = d;
    // nearest_int(iscale·(x − min)), clamped to [0, nmax]
    let l = roundHalfEven(f(iscale * d));
    l = l < 0 ? 0 : l > nmax ? nmax : l;
    L[lOff + g * n + i] = l;
    const e = f(f(f(scale * l) + lo) - x[x0 + i]);
    e0 = f(e0 + f(weights[w0 + i] * (useMad ? Math.abs(e) : f(e * e))));
  }
  scales[g] = scale;
  mins[g] = -lo;
  state.searching[slot] = true;
  state.min[slot] = lo;
  state.max[slot] = hi;
  state.sumW[slot] = sw;
  state.sumX[slot] = sx;
  state.range[slot] = r;
  state.best[slot] = e0;
}

/** The trials of groups a and b side by side (a group whose setup ended the search runs along, ignored). */
function searchPair(
  a: number, b: number, n: number, nmax: number, x: Float32Array, xOff: number, weights: Float32Array, L: Uint8Array, lOff: number,
  rmin: number, rdelta: number, nstep: number, useMad: boolean, scales: Float32Array, mins: Float32Array,
): void {
  const xa = xOff + a * n, xb = xOff + b * n, wa = a * n, wb = b * n;
  const onA = state.searching[0], onB = state.searching[1];
  let minA = state.min[0], minB = state.min[1];
  const sumWA = state.sumW[0], sumWB = state.sumW[1], sumXA = state.sumX[0], sumXB = state.sumX[1];
  const maxA = state.max[0], maxB = state.max[1];
  let rangeA = state.range[0], rangeB = state.range[1];
  let bestA = state.best[0], bestB = state.best[1];
  for (let is = 0; is <= nstep; is++) {
    const step = f(f(rmin + f(rdelta * is)) + nmax);
    const iA = f(step / rangeA), iB = f(step / rangeB);
    let lA = 0, l2A = 0, xlA = 0, lB = 0, l2B = 0, xlB = 0;
    for (let i = 0; i < n; i++) {
      let l = roundHalfEven(f(iA * diff[i]));
      l = l < 0 ? 0 : l > nmax ? nmax : l;
      trial[i] = l;
      let wl = f(weights[wa + i] * l);
      lA = f(lA + wl);
      l2A = f(l2A + f(wl * l));
      xlA = f(xlA + f(wl * x[xa + i]));
      l = roundHalfEven(f(iB * diff[n + i]));
      l = l < 0 ? 0 : l > nmax ? nmax : l;
      trial[n + i] = l;
      wl = f(weights[wb + i] * l);
      lB = f(lB + wl);
      l2B = f(l2B + f(wl * l));
      xlB = f(xlB + f(wl * x[xb + i]));
    }
    const DA = f(f(sumWA * l2A) - f(lA * lA)), DB = f(f(sumWB * l2B) - f(lB * lB));
    const okA = onA && DA > 0, okB = onB && DB > 0;
    if (!okA && !okB) continue;
    let scaleA = f(f(f(sumWA * xlA) - f(sumXA * lA)) / DA), tminA = f(f(f(l2A * sumXA) - f(lA * xlA)) / DA);
    if (tminA > 0) {
      tminA = 0;
      scaleA = f(xlA / l2A);
    }
    let scaleB = f(f(f(sumWB * xlB) - f(sumXB * lB)) / DB), tminB = f(f(f(l2B * sumXB) - f(lB * xlB)) / DB);
    if (tminB > 0) {
      tminB = 0;
      scaleB = f(xlB / l2B);
    }
    let errA = 0, errB = 0;
    for (let i = 0; i < n; i++) {
      const eA = f(f(f(scaleA * trial[i]) + tminA) - x[xa + i]);
      errA = f(errA + f(weights[wa + i] * (useMad ? Math.abs(eA) : f(eA * eA))));
      const eB = f(f(f(scaleB * trial[n + i]) + tminB) - x[xb + i]);
      errB = f(errB + f(weights[wb + i] * (useMad ? Math.abs(eB) : f(eB * eB))));
    }
    if (okA && errA < bestA) {
      for (let i = 0; i < n; i++) L[lOff + a * n + i] = trial[i];
      bestA = errA;
      scales[a] = scaleA;
      mins[a] = -tminA;
      if (tminA !== minA) {
        minA = tminA;
        rangeA = f(maxA - minA);
        for (let i = 0; i < n; i++) diff[i] = f(x[xa + i] - minA);
      }
    }
    if (okB && errB < bestB) {
      for (let i = 0; i < n; i++) L[lOff + b * n + i] = trial[n + i];
      bestB = errB;
      scales[b] = scaleB;
      mins[b] = -tminB;
      if (tminB !== minB) {
        minB = tminB;
        rangeB = f(maxB - minB);
        for (let i = 0; i < n; i++) diff[n + i] = f(x[xb + i] - minB);
      }
    }
  }
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

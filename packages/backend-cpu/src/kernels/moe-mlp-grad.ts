import { f32, type HostTensor, type MoeMlpAttrs } from '@xlora/core';

/**
 * MoeMlp backward, per token with p = softmax(router), chosen = top-k of p (no gradient through the selection),
 * S = Σ_chosen p, w_j = p_j / S, h_j = silu(G_j x) ⊙ (U_j x), o_j = D_j h_j, y = Σ_chosen w_j o_j:
 *   dw_j = dy·o_j,  dD_j += w_j dy h_jᵀ,  dh_j = w_j D_jᵀ dy  → SiluMul backward → dG_j, dU_j, dx
 *   dp_j = dw_j / S − Σ_k dw_k p_k / S²  (chosen j; 0 otherwise),  drouter = p ⊙ (dp − Σ p·dp)
 * Returns [dx [B,S,H], drouter [B,S,E], then dgate, dup, ddown of each expert].
 */
export function moeMlpGrad(x: HostTensor, router: HostTensor, experts: readonly HostTensor[], dy: HostTensor, attrs: MoeMlpAttrs): HostTensor<'f32'>[] {
  const { numExperts: e, topK } = attrs;
  const hidden = x.shape[2];
  const inter = experts[0].shape[0];
  const tokens = x.data.length / hidden;
  const dx = f32(x.shape);
  const dRouter = f32(router.shape);
  const dW = experts.map((w) => new Float64Array(w.data.length));
  const p = new Float64Array(e), dwSel = new Float64Array(e), dp = new Float64Array(e);
  const a = new Float64Array(inter), b = new Float64Array(inter), h = new Float64Array(inter), o = new Float64Array(hidden);
  const dh = new Float64Array(inter);
  for (let t = 0; t < tokens; t++) {
    const xo = t * hidden;
    let max = -Infinity;
    for (let j = 0; j < e; j++) max = Math.max(max, router.data[t * e + j]);
    let sum = 0;
    for (let j = 0; j < e; j++) sum += (p[j] = Math.exp(router.data[t * e + j] - max));
    for (let j = 0; j < e; j++) p[j] /= sum;
    const chosen = Array.from(p.keys()).sort((i, k) => p[k] - p[i] || i - k).slice(0, topK);
    let s = 0;
    for (const j of chosen) s += p[j];
    dwSel.fill(0);
    for (const j of chosen) {
      const [G, U, D] = [experts[3 * j].data, experts[3 * j + 1].data, experts[3 * j + 2].data];
      const w = p[j] / s;
      for (let i = 0; i < inter; i++) {
        let ga = 0, ub = 0;
        for (let k = 0; k < hidden; k++) { ga += G[i * hidden + k] * x.data[xo + k]; ub += U[i * hidden + k] * x.data[xo + k]; }
        a[i] = ga; b[i] = ub;
        h[i] = (ga / (1 + Math.exp(-ga))) * ub;
      }
      let dwj = 0;
      for (let k = 0; k < hidden; k++) {
        let acc = 0;
        for (let i = 0; i < inter; i++) acc += D[k * inter + i] * h[i];
        o[k] = acc;
        dwj += dy.data[xo + k] * acc;
      }
      dwSel[j] = dwj;
      const dD = dW[3 * j + 2], dG = dW[3 * j], dU = dW[3 * j + 1];
      dh.fill(0);
      for (let k = 0; k < hidden; k++) {
        const g = w * dy.data[xo + k];
        if (g === 0) continue;
        for (let i = 0; i < inter; i++) { dD[k * inter + i] += g * h[i]; dh[i] += g * D[k * inter + i]; }
      }
      for (let i = 0; i < inter; i++) {
        const sig = 1 / (1 + Math.exp(-a[i]));
        const da = dh[i] * b[i] * sig * (1 + a[i] * (1 - sig));
        const db = dh[i] * a[i] * sig;
        for (let k = 0; k < hidden; k++) {
          dG[i * hidden + k] += da * x.data[xo + k];
          dU[i * hidden + k] += db * x.data[xo + k];
          dx.data[xo + k] += da * G[i * hidden + k] + db * U[i * hidden + k];
        }
      }
    }
    let mix = 0;
    for (const j of chosen) mix += dwSel[j] * p[j];
    dp.fill(0);
    for (const j of chosen) dp[j] = dwSel[j] / s - mix / (s * s);
    let pdp = 0;
    for (let j = 0; j < e; j++) pdp += p[j] * dp[j];
    for (let j = 0; j < e; j++) dRouter.data[t * e + j] = p[j] * (dp[j] - pdp);
  }
  return [dx, dRouter, ...experts.map((w, i) => f32(w.shape, Float32Array.from(dW[i])))];
}

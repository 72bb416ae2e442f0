import type { ScalingsTensor } from '@xlora/scaling-logger';
import type { ScalingsRows } from '../shared/protocol.js';

/**
 * The page's copy of one generation: token pieces (prompt + generated) and the scalings [1,S,L,C] streamed so far.
 * The scaling at position t is computed after reading token t and shapes the prediction of token t+1, so the
 * generated token n was produced with the scalings at position promptLength - 1 + n.
 */
export class ScalingsStore {
  pieces: string[] = [];
  promptLength = 0;
  layers = 0;
  experts = 0;
  private data = new Float32Array(0);
  private rows = 0;

  reset(promptPieces: string[]): void {
    this.pieces = [...promptPieces];
    this.promptLength = promptPieces.length;
    this.rows = 0;
    this.data = new Float32Array(0);
  }

  addToken(piece: string): void {
    this.pieces.push(piece);
  }

  addRows(r: ScalingsRows): void {
    const [, n, l, c] = r.shape;
    this.layers = l;
    this.experts = c;
    const need = (r.start + n) * l * c;
    if (need > this.data.length) {
      const grown = new Float32Array(Math.max(need, this.data.length * 2));
      grown.set(this.data.subarray(0, this.rows * l * c));
      this.data = grown;
    }
    this.data.set(r.data, r.start * l * c);
    this.rows = Math.max(this.rows, r.start + n);
  }

  get numRows(): number {
    return this.rows;
  }

  get generatedCount(): number {
    return this.pieces.length - this.promptLength;
  }

  /** [1, S, L, C] with S = the positions that have scalings */
  tensor(): ScalingsTensor {
    return { shape: [1, this.rows, this.layers, this.experts], data: this.data.slice(0, this.rows * this.layers * this.experts) };
  }

  /** Mean over layers at one position: [C]. */
  meanAt(position: number): number[] {
    const { layers: l, experts: c } = this;
    const out = new Array<number>(c).fill(0);
    if (position < 0 || position >= this.rows) return out;
    for (let k = 0; k < l; k++) for (let e = 0; e < c; e++) out[e] += this.data[(position * l + k) * c + e] / l;
    return out;
  }

  /** Expert the classifier weighted most (mean over layers) for the scalings that produced generated token n. */
  leaderForGenerated(n: number): number {
    const m = this.meanAt(this.promptLength - 1 + n);
    return m.reduce((best, w, i) => (w > m[best] ? i : best), 0);
  }

  /**
   * Per-expert share over the whole output: the mean scaling (over layers and over the positions that produced the
   * generated tokens) and how often each expert led.
   */
  outputShares(): { mean: number[]; leading: number[]; positions: number } {
    const c = this.experts;
    const mean = new Array<number>(c).fill(0);
    const leading = new Array<number>(c).fill(0);
    let positions = 0;
    for (let n = 0; n < this.generatedCount; n++) {
      const pos = this.promptLength - 1 + n;
      if (pos >= this.rows) break;
      const m = this.meanAt(pos);
      m.forEach((w, e) => (mean[e] += w));
      leading[m.reduce((best, w, i) => (w > m[best] ? i : best), 0)]++;
      positions++;
    }
    return { mean: mean.map((v) => (positions ? v / positions : 0)), leading: leading.map((v) => (positions ? v / positions : 0)), positions };
  }
}

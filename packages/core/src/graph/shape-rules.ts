import { XLoraError } from '../errors.js';
import { formatShape } from '../tensor.js';
import { addDims, type Dim } from './dim.js';
import type { GraphNode } from './ops.js';

/** Thrown when a node's input shapes do not fit its op (a bug in a graph, or a weight of the wrong shape). */
export class ShapeError extends XLoraError {
  constructor(message: string) {
    super('E_SHAPE', message);
    this.name = 'ShapeError';
  }
}

type DimList = readonly Dim[];

function need(cond: boolean, node: GraphNode, what: string, shapes: readonly DimList[]): asserts cond {
  if (!cond) {
    throw new ShapeError(`${node.op} node "${node.name}": ${what} (input shapes ${shapes.map(formatShape).join(', ')})`);
  }
}

function sameDim(a: Dim, b: Dim): boolean {
  return a === b || typeof a === 'string' || typeof b === 'string';
}

/**
 * Output shapes of a node from its input shapes. Works on symbolic dims (graph building) and on concrete
 * numbers (backends at run time); concrete mismatches throw ShapeError.
 */
export function outputShapes(node: GraphNode, ins: readonly DimList[]): Dim[][] {
  const last = (s: DimList) => s[s.length - 1];
  switch (node.op) {
    case 'Gather': {
      const [table, ids] = ins;
      need(table.length === 2, node, 'table must be 2-D [vocab, hidden]', ins);
      return [[...ids, table[1]]];
    }
    case 'MatMul': {
      const [x, w, bias] = ins;
      need(w.length === 2, node, 'weight must be 2-D [out, in]', ins);
      need(sameDim(last(x), w[1]), node, "x's last dim must equal the weight's in-features", ins);
      if (bias) need(bias.length === 1 && sameDim(bias[0], w[0]), node, 'bias must be [out]', ins);
      return [[...x.slice(0, -1), w[0]]];
    }
    case 'Add':
    case 'Mul': {
      const [a, b] = ins;
      need(b.length <= a.length, node, 'b must not have more dims than a', ins);
      const off = a.length - b.length;
      need(b.every((d, i) => d === 1 || sameDim(d, a[off + i])), node, "b's shape must be a suffix of a's", ins);
      return [[...a]];
    }
    case 'RmsNorm': {
      const [x, w] = ins;
      need(w.length === 1 && sameDim(w[0], last(x)), node, 'weight must be [hidden]', ins);
      return [[...x]];
    }
    case 'Rope': {
      const [x, pos] = ins;
      const { numHeads, headDim, invFreq } = node.attrs;
      need(x.length === 3 && sameDim(x[2], numHeads * headDim), node, `x must be [B,S,${numHeads}*${headDim}]`, ins);
      need(pos.length === 2 && sameDim(pos[0], x[0]) && sameDim(pos[1], x[1]), node, 'positionIds must be [B,S]', ins);
      need(headDim % 2 === 0 && invFreq.length === headDim / 2, node, 'invFreq must have headDim/2 entries', ins);
      return [[...x]];
    }
    case 'Attention': {
      const [q, k, v, pastK, pastV, mask] = ins;
      const { numHeads: h, numKvHeads: kv, headDim: d } = node.attrs;
      need(h % kv === 0, node, 'numHeads must be a multiple of numKvHeads', ins);
      need(q.length === 3 && sameDim(q[2], h * d), node, `q must be [B,S,${h * d}]`, ins);
      need(k.length === 3 && sameDim(k[2], kv * d) && sameDim(k[1], q[1]), node, `k must be [B,S,${kv * d}]`, ins);
      need(v.length === 3 && sameDim(v[2], kv * d) && sameDim(v[1], q[1]), node, `v must be [B,S,${kv * d}]`, ins);
      for (const past of [pastK, pastV]) {
        need(past.length === 4 && sameDim(past[0], q[0]) && sameDim(past[1], kv) && sameDim(past[3], d), node,
          `past caches must be [B,${kv},P,${d}]`, ins);
      }
      need(sameDim(pastK[2], pastV[2]), node, 'past key and value lengths differ', ins);
      const total = addDims(pastK[2], q[1]);
      need(mask.length === 2 && sameDim(mask[0], q[0]) && sameDim(mask[1], total), node, 'mask must be [B, P+S]', ins);
      const { slidingWindow: w, logitSoftcap: c } = node.attrs;
      need(w === undefined || w === null || (Number.isInteger(w) && w >= 1), node, `slidingWindow must be an integer >= 1 or null, got ${w}`, ins);
      need(c === undefined || c === null || (Number.isFinite(c) && c > 0), node, `logitSoftcap must be a number > 0 or null, got ${c}`, ins);
      return [[...q], [q[0], kv, total, d], [q[0], kv, total, d]];
    }
    case 'SiluMul':
    case 'GeluTanhMul': {
      const [g, u] = ins;
      need(g.length === u.length && g.every((x, i) => sameDim(x, u[i])), node, 'gate and up must have equal shapes', ins);
      return [[...g]];
    }
    case 'Relu':
    case 'Softmax':
      return [[...ins[0]]];
    case 'Softcap':
      need(Number.isFinite(node.attrs.cap) && node.attrs.cap > 0, node, `cap must be a number > 0, got ${node.attrs.cap}`, ins);
      return [[...ins[0]]];
    case 'MoeMlp': {
      const [x, router, ...experts] = ins;
      const { numExperts: e, topK } = node.attrs;
      need(Number.isInteger(e) && e >= 1 && Number.isInteger(topK) && topK >= 1 && topK <= e, node, `topK must be in 1..numExperts (${topK} of ${e})`, ins);
      need(x.length === 3, node, 'x must be [B,S,H]', ins);
      need(router.length === 3 && sameDim(router[0], x[0]) && sameDim(router[1], x[1]) && sameDim(router[2], e), node, `routerLogits must be [B,S,${e}]`, ins);
      need(experts.length === 3 * e, node, `expects gate, up, down weights for each of the ${e} experts (${3 * e} inputs after x and routerLogits)`, ins);
      for (let i = 0; i < e; i++) {
        const [gate, up, down] = experts.slice(3 * i, 3 * i + 3);
        need(gate.length === 2 && sameDim(gate[1], x[2]), node, `expert ${i}: gate must be [I, H]`, ins);
        need(up.length === 2 && sameDim(up[0], gate[0]) && sameDim(up[1], x[2]), node, `expert ${i}: up must be [I, H] like gate`, ins);
        need(down.length === 2 && sameDim(down[0], x[2]) && sameDim(down[1], gate[0]), node, `expert ${i}: down must be [H, I]`, ins);
      }
      return [[...x]];
    }
    case 'Reshape': {
      const [x] = ins;
      const out = node.attrs.shape.map((d, i) => (d === 0 ? x[i] : d));
      if (x.every((d) => typeof d === 'number') && out.every((d) => typeof d === 'number')) {
        const n = (s: readonly Dim[]) => s.reduce<number>((a, b) => a * (b as number), 1);
        need(n(x) === n(out), node, `cannot reshape to ${formatShape(out)}`, ins);
      }
      return [out];
    }
    case 'Slice': {
      const [x] = ins;
      const { axis, start, end } = node.attrs;
      need(axis >= 0 && axis < x.length, node, `axis ${axis} out of range`, ins);
      const len = x[axis];
      let out: Dim;
      if (typeof len === 'number') {
        const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + len : i, 0), len);
        out = Math.max(clamp(end ?? len) - clamp(start), 0);
      } else if (start < 0 && end === null) {
        out = -start; // symbolic length, assumed >= -start
      } else {
        out = `slice(${len})`;
      }
      const shape = [...x];
      shape[axis] = out;
      return [shape];
    }
    case 'XLoraMixture': {
      const [x, base, a, b, sc] = ins;
      const { numExperts, segments, layer } = node.attrs;
      const rank = segments.reduce((n, s) => n + s.rank, 0);
      need(x.length === 3 && base.length === 3, node, 'x and base must be [B,S,features]', ins);
      need(a.length === 2 && sameDim(a[0], rank) && sameDim(a[1], x[2]), node, `A must be [${rank}, in]`, ins);
      need(b.length === 2 && sameDim(b[0], base[2]) && sameDim(b[1], rank), node, `B must be [out, ${rank}]`, ins);
      need(sc.length === 4 && sameDim(sc[3], numExperts), node, `scalings must be [B,S,L,${numExperts}]`, ins);
      need(typeof sc[2] !== 'number' || sc[2] === 1 || layer < sc[2], node, `layer ${layer} beyond scalings`, ins);
      need(segments.every((s) => s.expert >= 0 && s.expert < numExperts), node, 'segment expert out of range', ins);
      return [[...base]];
    }
  }
}

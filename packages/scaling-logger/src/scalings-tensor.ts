/** A [B,S,L,C] float tensor: batch, sequence positions, X-LoRA layers, experts. Plain arrays, no framework. */
export interface ScalingsTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Concatenates two [B,S,L,C] tensors along the sequence axis. */
export function concatAlongSequence(a: ScalingsTensor, b: ScalingsTensor): ScalingsTensor {
  const [batch, sa, l, c] = a.shape;
  const sb = b.shape[1];
  if (b.shape[0] !== batch || b.shape[2] !== l || b.shape[3] !== c) {
    throw new Error(`cannot append scalings [${b.shape}] to [${a.shape}]: batch, layers and experts must match`);
  }
  const row = l * c;
  const out = new Float32Array(batch * (sa + sb) * row);
  for (let i = 0; i < batch; i++) {
    out.set(a.data.subarray(i * sa * row, (i + 1) * sa * row), i * (sa + sb) * row);
    out.set(b.data.subarray(i * sb * row, (i + 1) * sb * row), (i * (sa + sb) + sa) * row);
  }
  return { shape: [batch, sa + sb, l, c], data: out };
}

/** Broadcasts [B,S,1,C] (non-layerwise classifier output) to [B,S,L,C]; returns layerwise input unchanged. */
export function expandLayers(t: ScalingsTensor, numLayers: number): ScalingsTensor {
  const [batch, seq, lc, c] = t.shape;
  if (lc === numLayers) return t;
  if (lc !== 1) throw new Error(`scalings have ${lc} layers; expected 1 or ${numLayers}`);
  const out = new Float32Array(batch * seq * numLayers * c);
  for (let p = 0; p < batch * seq; p++) {
    const src = t.data.subarray(p * c, (p + 1) * c);
    for (let l = 0; l < numLayers; l++) out.set(src, (p * numLayers + l) * c);
  }
  return { shape: [batch, seq, numLayers, c], data: out };
}

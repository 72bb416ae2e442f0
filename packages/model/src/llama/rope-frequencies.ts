import { InputError } from '@xlora/core';

/** Raw rope_scaling entry of a config.json (snake_case as on disk, or camelCase). */
export type RopeScalingLike = Record<string, unknown> | null | undefined;

function field(o: Record<string, unknown>, snake: string): unknown {
  const camel = snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return o[snake] ?? o[camel];
}

/**
 * Rotary inverse frequencies as transformers computes them in f32: 1 / theta^(2i/d), then the rope_scaling rule
 * ('linear' divides by factor; 'llama3' smooths between low and high frequency bands).
 */
export function ropeInverseFrequencies(headDim: number, theta: number, scaling: RopeScalingLike, file = 'config.json'): number[] {
  const fr = Math.fround;
  const inv: number[] = [];
  for (let i = 0; i < headDim; i += 2) inv.push(fr(1 / fr(Math.pow(theta, fr(i / headDim)))));
  if (!scaling) return inv;
  const type = String(field(scaling, 'rope_type') ?? field(scaling, 'type') ?? 'default');
  const factor = Number(field(scaling, 'factor') ?? 1);
  switch (type) {
    case 'default':
      return inv;
    case 'linear':
      return inv.map((f) => fr(f / factor));
    case 'llama3': {
      const low = Number(field(scaling, 'low_freq_factor'));
      const high = Number(field(scaling, 'high_freq_factor'));
      const oldCtx = Number(field(scaling, 'original_max_position_embeddings'));
      if (![low, high, oldCtx, factor].every(Number.isFinite)) {
        throw new InputError(`${file}: rope_scaling of type llama3 needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings`);
      }
      const lowWavelen = oldCtx / low;
      const highWavelen = oldCtx / high;
      return inv.map((f) => {
        const wavelen = (2 * Math.PI) / f;
        if (wavelen < highWavelen) return f;
        if (wavelen > lowWavelen) return fr(f / factor);
        const smooth = (oldCtx / wavelen - low) / (high - low);
        return fr((1 - smooth) * (f / factor) + smooth * f);
      });
    }
    default:
      throw new InputError(`${file}: rope_scaling type "${type}" is not supported (supported: default, linear, llama3)`);
  }
}

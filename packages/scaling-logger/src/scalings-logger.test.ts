import { describe, expect, it } from 'vitest';
import { concatAlongSequence, expandLayers, fromNpy, ScalingsLogger, scalingsLogFromJson, scalingsLogToJson, toNpy } from './index.js';

const t = (shape: number[], start = 0) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => start + i) });

describe('ScalingsLogger', () => {
  it('logs only while enabled, keeps the log on disable, buckets by sequence length', () => {
    const log = new ScalingsLogger();
    log.record(t([1, 2, 1, 2]));
    expect(log.getLog()).toHaveLength(0);
    log.enable();
    log.record(t([1, 2, 1, 2]));
    log.record(t([1, 3, 1, 2]));
    log.record(t([1, 2, 1, 2], 100));
    log.disable();
    log.record(t([1, 9, 1, 2]));
    expect(log.getLog().map((e) => e.shape[1])).toEqual([2, 3, 2]);
    const buckets = log.getBucketedLog();
    expect([...buckets.keys()]).toEqual([2, 3]);
    expect(buckets.get(2)!.positions).toEqual([0, 2]);
    expect(buckets.get(2)!.tensors[1].data[0]).toBe(100);
    expect(log.latest()!.data[0]).toBe(100);
    log.clear();
    expect(log.getLog()).toEqual([]);
  });

  it('concatenates per batch row along the sequence and expands non-layerwise scalings', () => {
    const a = t([2, 1, 1, 2]); // rows: [0,1] [2,3]
    const b = t([2, 1, 1, 2], 10); // rows: [10,11] [12,13]
    expect(Array.from(concatAlongSequence(a, b).data)).toEqual([0, 1, 10, 11, 2, 3, 12, 13]);
    const e = expandLayers(t([1, 1, 1, 2]), 3);
    expect(e.shape).toEqual([1, 1, 3, 2]);
    expect(Array.from(e.data)).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('round-trips JSON and .npy', () => {
    const x = t([1, 2, 3, 2], 0.5);
    expect(scalingsLogFromJson(scalingsLogToJson([x]))[0]).toEqual(x);
    const npy = toNpy(x);
    expect((10 + new DataView(npy.buffer).getUint16(8, true)) % 64).toBe(0);
    expect(fromNpy(npy)).toEqual(x);
    expect(() => scalingsLogFromJson('{"format":"other"}')).toThrow(/not an xlora scalings log/);
  });
});

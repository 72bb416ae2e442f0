import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostTensor } from '@xlora/core';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFileSource } from '../loading/node-file-source.js';
import { openGguf } from './gguf-file.js';
import { rawHeader } from './test-helpers.js';

describe('GGUF files over 4 GiB (sparse file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xlora-gguf-big-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a tensor stored 5 GiB into the file from its byte range', async () => {
    const far = 5 * 2 ** 30; // relative offset, a multiple of 32
    const head = rawHeader(2, 0)
      .str('near').u32(1).u64(8).u32(0).u64(0)
      .str('far').u32(2).u64(4).u64(2).u32(0).u64(far)
      .align(32);
    const dataOffset = head.length;
    const values = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8.5]);
    const path = join(dir, 'big.gguf');
    writeFileSync(path, head.bytes());
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, new Uint8Array(values.buffer), 0, 32, dataOffset); // "near"
      writeSync(fd, new Uint8Array(values.buffer), 0, 32, dataOffset + far); // "far": the file is now > 5 GiB, sparse
    } finally {
      closeSync(fd);
    }
    const g = await openGguf(nodeFileSource(dir), 'big.gguf');
    expect(g.fileSize).toBe(dataOffset + far + 32);
    expect(g.fileSize).toBeGreaterThan(2 ** 32);
    expect(g.tensor('far')!.fileOffset).toBe(dataOffset + far);
    const t = (await g.readTensor('far')) as HostTensor<'f32'>;
    expect(t.shape).toEqual([2, 4]);
    expect([...t.data]).toEqual([...values]);
    expect([...((await g.readTensor('near')) as HostTensor<'f32'>).data]).toEqual([...values]);
  });
});

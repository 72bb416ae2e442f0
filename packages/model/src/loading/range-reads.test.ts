import { closeSync, copyFileSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dequantize, InputError, type HostTensor } from '@xlora/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileSource } from './file-source.js';
import { loadBaseModel, type LoadedBaseModel } from './load-base-model.js';
import { mapFileSource } from './map-file-source.js';
import { nodeFileSource } from './node-file-source.js';
import { openSafetensors } from './safetensors-range-file.js';
import { parseSafetensors } from './safetensors-file.js';
import { expectInputError, PEFT_FIXTURES, rawSafetensors } from './test-helpers.js';
import { urlFileSource } from './url-file-source.js';

const FIXTURE_FILE = `${PEFT_FIXTURES}/base/model.safetensors`;
const fixtureBytes = new Uint8Array(readFileSync(FIXTURE_FILE));
const fixture = parseSafetensors(fixtureBytes, 'fixture');

/** Every weight of a loaded base equals the fixture file's f32 values. */
function expectFixtureWeights(base: LoadedBaseModel): void {
  expect(base.weights.size).toBe(fixture.names().length);
  for (const name of fixture.names()) expect(dequantize(base.weights.get(name)!).data, name).toEqual(fixture.getF32(name).data);
}

/** A FileSource that counts calls of each method. */
function counting(inner: FileSource): { src: FileSource; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const count = (k: string) => (calls[k] = (calls[k] ?? 0) + 1);
  const counted = <T>(k: string, value: T): T => {
    count(k);
    return value;
  };
  const src: FileSource = {
    describe: (p) => inner.describe(p),
    exists: (p) => inner.exists(p),
    read: (p, onProgress) => counted(`read ${p.split('/').pop()}`, inner.read(p, onProgress)),
    readRange: (p, s, e) => counted('readRange', inner.readRange(p, s, e)),
    size: (p) => inner.size(p),
    open: async (p) => {
      count(`open ${p.split('/').pop()}`);
      const f = await inner.open!(p);
      return { size: f.size, read: (s, e) => counted('handle.read', f.read(s, e)), close: () => counted('close', f.close()) };
    },
  };
  return { src, calls };
}

describe('node file source: range reads', () => {
  it('loads the base with one open handle per file and one range read per tensor (plus the header), closed at the end', async () => {
    const { src, calls } = counting(nodeFileSource(PEFT_FIXTURES));
    expectFixtureWeights(await loadBaseModel(src, 'base'));
    expect(calls['open model.safetensors']).toBe(1);
    expect(calls['read model.safetensors']).toBeUndefined();
    expect(calls.readRange).toBeUndefined();
    expect(calls['handle.read']).toBe(2 + fixture.names().length); // length prefix, header, each tensor
    expect(calls.close).toBe(1);
  });

  it('names the file and the tensor when the file shrinks under an open reader', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlora-shrink-'));
    try {
      writeFileSync(join(dir, 'w.safetensors'), fixtureBytes);
      const file = await openSafetensors(nodeFileSource(dir), 'w.safetensors');
      truncateSync(join(dir, 'w.safetensors'), 100 + file.headerBytes);
      await expectInputError(() => file.readF32('model.norm.weight'), new RegExp(`^${dir}/w\\.safetensors: file ended at byte \\d+ while reading bytes \\[\\d+, \\d+\\) \\(truncated or shrank while being read\\) \\(reading tensor "model\\.norm\\.weight"\\)$`));
      await file.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a truncated file or a tensor beyond the end gets the same named errors as in memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xlora-trunc-'));
    try {
      copyFileSync(`${PEFT_FIXTURES}/base/config.json`, join(dir, 'config.json'));
      const cases: Array<[Uint8Array, string]> = [
        [fixtureBytes.subarray(0, fixtureBytes.length - 10), 'truncated data'],
        [fixtureBytes.subarray(0, 5), 'no full length prefix'],
        [fixtureBytes.subarray(0, 300), 'header cut'],
        [rawSafetensors(JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }), new Uint8Array(8)), 'tensor beyond the end'],
      ];
      for (const [bytes, what] of cases) {
        writeFileSync(join(dir, 'model.safetensors'), bytes);
        let inMemory = '';
        try {
          parseSafetensors(bytes, `${dir}/model.safetensors`);
        } catch (err) {
          inMemory = (err as Error).message;
        }
        expect(inMemory, what).toMatch(new RegExp(`^${dir}/model\\.safetensors: `));
        await expectInputError(() => loadBaseModel(nodeFileSource(dir), '.'), inMemory);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a single file over 4 GiB', () => {
  let dir = '';
  const HOLE = 4.5 * 2 ** 30; // bytes of an unused BF16 tensor held by a sparse hole: the second half of the weights lies past 4 GiB
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xlora-big-'));
    copyFileSync(`${PEFT_FIXTURES}/base/config.json`, join(dir, 'config.json'));
    const names = fixture.names();
    const half = Math.floor(names.length / 2);
    const header: Record<string, unknown> = {};
    const chunks: Array<[number, Uint8Array]> = [];
    let at = 0;
    const place = (name: string, dtype: string, shape: number[], bytes: number, data?: Uint8Array) => {
      header[name] = { dtype, shape, data_offsets: [at, at + bytes] };
      if (data) chunks.push([at, data]);
      at += bytes;
    };
    const raw = (n: string) => {
      const t = fixture.getF32(n);
      return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    };
    for (const n of names.slice(0, half)) place(n, 'F32', fixture.info(n).shape, fixture.info(n).byteLength, raw(n));
    place('model.unused_padding', 'BF16', [HOLE / 2], HOLE);
    for (const n of names.slice(half)) place(n, 'F32', fixture.info(n).shape, fixture.info(n).byteLength, raw(n));
    const head = rawSafetensors(JSON.stringify(header), new Uint8Array(0));
    const fd = openSync(join(dir, 'model.safetensors'), 'w');
    try {
      writeSync(fd, head);
      ftruncateSync(fd, head.length + at);
      for (const [offset, data] of chunks) writeSync(fd, data, 0, data.length, head.length + offset);
    } finally {
      closeSync(fd);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads, reading every weight from its range (those past 4 GiB included) and never the padding', async () => {
    expect(statSync(join(dir, 'model.safetensors')).size).toBeGreaterThan(2 ** 32);
    const progress: Array<[number, number, string | undefined]> = [];
    const base = await loadBaseModel(nodeFileSource(dir), '.', { onProgress: (l, t, _f, tensor) => progress.push([l, t, tensor]) });
    expectFixtureWeights(base);
    const total = progress.at(-1)![1];
    expect(progress.at(-1)![0]).toBe(total);
    expect(total).toBeLessThan(2 ** 20); // headers + the weights: the padding is not read
    expect(progress.some(([, , tensor]) => tensor === 'model.unused_padding')).toBe(false);
    const file = await openSafetensors(nodeFileSource(dir), 'model.safetensors');
    expect(file.offset('model.norm.weight')).toBeGreaterThan(2 ** 32);
    await file.close();
  });
});

/** A static file server on 127.0.0.1 with single byte ranges (as most servers), or one that ignores Range. */
async function serve(files: Map<string, Uint8Array>, mode: 'ranges' | 'ignore-range' | 'wrong-range'): Promise<{ url: string; log: string[]; server: Server }> {
  const log: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const body = files.get(decodeURIComponent(new URL(req.url!, 'http://x').pathname).slice(1));
    const range = req.headers.range;
    log.push(`${req.method} ${req.url}${range ? ` ${range}` : ''}`);
    if (!body) return void res.writeHead(404).end();
    const m = range && mode !== 'ignore-range' ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
    if (m) {
      const [s, e] = [Number(m[1]), Math.min(Number(m[2]), body.length - 1)];
      const shift = mode === 'wrong-range' ? 1 : 0;
      res.writeHead(206, { 'content-length': e - s + 1, 'content-range': `bytes ${s + shift}-${e + shift}/${body.length}` });
      return void res.end(req.method === 'HEAD' ? undefined : body.subarray(s, e + 1));
    }
    res.writeHead(200, { 'content-length': body.length, 'accept-ranges': 'none' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, log, server };
}

describe('url file source: HTTP range requests (a real server on 127.0.0.1)', () => {
  const files = new Map([
    ['base/config.json', new Uint8Array(readFileSync(`${PEFT_FIXTURES}/base/config.json`))],
    ['base/model.safetensors', fixtureBytes],
  ]);
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  it('reads each tensor with its own Range request, checking the 206 answer', async () => {
    const { url, log, server } = await serve(files, 'ranges');
    servers.push(server);
    const notices: string[] = [];
    expectFixtureWeights(await loadBaseModel(urlFileSource(url, { onNotice: (m) => notices.push(m) }), 'base'));
    expect(notices).toEqual([]);
    const modelRequests = log.filter((l) => l.includes('model.safetensors') && l.startsWith('GET'));
    expect(modelRequests.every((l) => / bytes=\d+-\d+$/.test(l))).toBe(true);
    expect(modelRequests).toHaveLength(2 + fixture.names().length);
  });

  it('falls back to one whole download, with a notice, when the server ignores Range', async () => {
    const { url, log, server } = await serve(files, 'ignore-range');
    servers.push(server);
    const notices: string[] = [];
    expectFixtureWeights(await loadBaseModel(urlFileSource(url, { onNotice: (m) => notices.push(m) }), 'base'));
    expect(notices).toEqual([`${url}base/model.safetensors: the server ignored the Range request (HTTP 200 instead of 206), so the whole file (${fixtureBytes.length} bytes) is downloaded and held in memory`]);
    expect(log.filter((l) => l.startsWith('GET /base/model.safetensors'))).toHaveLength(1);
  });

  it('refuses an answer for other bytes than asked, naming the URL', async () => {
    const { url, server } = await serve(files, 'wrong-range');
    servers.push(server);
    await expectInputError(() => loadBaseModel(urlFileSource(url), 'base'), `${url}base/model.safetensors: asked for bytes 0-7/${fixtureBytes.length}, the server answered Content-Range "bytes 1-8/${fixtureBytes.length}"`);
  });
});

describe('map file source: Blob.slice', () => {
  it('loads from Blobs (browser Files) by slicing, never reading a whole Blob', async () => {
    let sliced = 0;
    class CountingBlob extends Blob {
      override slice(start?: number, end?: number, type?: string): Blob {
        sliced++;
        return super.slice(start, end, type);
      }
      override arrayBuffer(): Promise<ArrayBuffer> {
        throw new Error('whole Blob read');
      }
    }
    const src = mapFileSource(new Map<string, Uint8Array | Blob>([
      ['base/config.json', new Uint8Array(readFileSync(`${PEFT_FIXTURES}/base/config.json`))],
      ['base/model.safetensors', new CountingBlob([fixtureBytes as Uint8Array<ArrayBuffer>])],
    ]));
    expectFixtureWeights(await loadBaseModel(src, 'base'));
    expect(sliced).toBe(2 + fixture.names().length);
  });

  it('a Uint8Array is read as views of its ranges; unaligned F32 data is copied to aligned arrays', async () => {
    const shifted = new Uint8Array(fixtureBytes.length + 1).subarray(1); // every tensor starts 1 byte off 4-byte alignment
    shifted.set(fixtureBytes);
    const src = mapFileSource(new Map([['base/config.json', new Uint8Array(readFileSync(`${PEFT_FIXTURES}/base/config.json`))], ['base/model.safetensors', shifted]]));
    const base = await loadBaseModel(src, 'base');
    expectFixtureWeights(base);
    const t = base.weights.get('model.norm.weight') as HostTensor<'f32'>;
    expect(t.data.byteOffset % 4).toBe(0);
  });

  it('range errors name the file', async () => {
    const src = mapFileSource({ 'a.bin': new Uint8Array(4) });
    await expectInputError(() => src.readRange('a.bin', 2, 6), 'a.bin: byte range [2, 6) is beyond the end of the file (4 bytes)');
    const f = await src.open!('a.bin');
    await f.close();
    await expect(f.read(0, 1)).rejects.toBeInstanceOf(InputError);
  });
});

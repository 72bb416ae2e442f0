import { describe, expect, it } from 'vitest';
import { openGguf } from './gguf-file.js';
import { GgufError, type GgufErrorReason } from './gguf-error.js';
import { RawBytes, rawHeader, recordingSource } from './test-helpers.js';

/** One F32 tensor [1, 8] ("w", ne [8, 1]) and one key, as a file; parts replaceable. */
function file(opts: { header?: RawBytes; kv?: (b: RawBytes) => RawBytes; tensor?: (b: RawBytes) => RawBytes; data?: number } = {}): Uint8Array {
  const b = opts.header ?? rawHeader(1, 1);
  (opts.kv ?? ((x) => x.str('general.architecture').u32(8).str('llama')))(b);
  (opts.tensor ?? ((x) => x.str('w').u32(2).u64(8).u64(1).u32(0).u64(0)))(b);
  b.align(32);
  return b.raw(new Uint8Array(opts.data ?? 32)).bytes();
}

async function expectGgufError(bytes: Uint8Array, reason: GgufErrorReason, message: string | RegExp) {
  const err = await openGguf(recordingSource('bad.gguf', bytes), 'bad.gguf').then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(GgufError);
  expect((err as GgufError).reason).toBe(reason);
  expect((err as GgufError).message).toMatch(message);
}

describe('corrupt GGUF files: each a GgufError (an InputError) with its own reason, naming the file', () => {
  it('the well-formed base file reads', async () => {
    const g = await openGguf(recordingSource('ok.gguf', file()), 'ok.gguf');
    expect(g.tensors.map((t) => t.shape)).toEqual([[1, 8]]);
  });

  it('bad magic', () => expectGgufError(new TextEncoder().encode('PK\x03\x04 not a gguf file at all........'), 'bad-magic', 'bad.gguf: not a GGUF file: it starts with "PK\\x03\\x04", expected "GGUF"'));
  it('unsupported version (1 and 4)', async () => {
    await expectGgufError(file({ header: rawHeader(1, 1, 1) }), 'unsupported-version', 'bad.gguf: GGUF version 1 is not supported (supported: 2, 3)');
    await expectGgufError(file({ header: rawHeader(1, 1, 4) }), 'unsupported-version', 'GGUF version 4');
  });
  it('big-endian file', () => expectGgufError(file({ header: rawHeader(1, 1, 0x03000000) }), 'unsupported-version', 'big-endian GGUF files are not supported'));
  it('truncated header', () => expectGgufError(file().subarray(0, 10), 'truncated', 'bad.gguf: truncated: tensor count needs 8 bytes at offset 8, but the file has 10 bytes'));
  it('truncated metadata (cut inside the value string)', () => {
    const whole = file();
    return expectGgufError(whole.subarray(0, 24 + 8 + 20 + 4 + 8 + 2), 'truncated', 'truncated: metadata "general.architecture" needs 5 bytes');
  });
  it('truncated tensor data', () => expectGgufError(file().subarray(0, file().length - 4), 'truncated', /tensor "w" \(bytes \d+\.\.\d+\) is cut off: the file ends at byte \d+/));
  it('unknown value type', () => expectGgufError(file({ kv: (b) => b.str('k').u32(13).u32(0) }), 'unknown-value-type', 'bad.gguf: metadata "k" has unknown value type 13 (known: 0..12)'));
  it('unknown array item type', () => expectGgufError(file({ kv: (b) => b.str('k').u32(9).u32(77).u64(0) }), 'unknown-value-type', 'metadata "k" item has unknown value type 77'));
  it('bool other than 0/1', () => expectGgufError(file({ kv: (b) => b.str('k').u32(7).u8(2) }), 'bad-value', 'metadata "k" is a bool with byte value 2'));
  it('invalid UTF-8 in a string', () => expectGgufError(file({ kv: (b) => b.str('k').u32(8).u64(2).raw([0xc3, 0x28]) }), 'bad-value', 'metadata "k" is not valid UTF-8'));
  it('unknown ggml type', () => expectGgufError(file({ tensor: (b) => b.str('w').u32(2).u64(8).u64(1).u32(99).u64(0) }), 'unknown-ggml-type', 'bad.gguf: tensor "w" has unknown ggml type id 99'));
  it('a ggml type we do not read (Q5_K)', () => expectGgufError(file({ tensor: (b) => b.str('w').u32(1).u64(256).u32(13).u64(0) }), 'unsupported-ggml-type', 'tensor "w" is stored as Q5_K, which is not supported'));
  it('rows that are not whole blocks', () => expectGgufError(file({ tensor: (b) => b.str('w').u32(1).u64(40).u32(8).u64(0) }), 'bad-shape', 'tensor "w" has rows of 40 values, not a multiple of the q8_0 block (32)'));
  it('too many dimensions', () => expectGgufError(file({ tensor: (b) => b.str('w').u32(5).u64(1).u64(1).u64(1).u64(1).u64(8).u32(0).u64(0) }), 'bad-shape', 'tensor "w" has 5 dimensions, expected 1 to 4'));
  it('tensor out of range', () => expectGgufError(file({ tensor: (b) => b.str('w').u32(2).u64(8).u64(1).u32(0).u64(1 << 20) }), 'tensor-out-of-range', /tensor "w" \(bytes \d+\.\.\d+\) starts past the end of the file \(\d+ bytes\)/));
  it('misaligned tensor offset', () => expectGgufError(file({ tensor: (b) => b.str('w').u32(2).u64(8).u64(1).u32(0).u64(4) }), 'misaligned', 'tensor "w" data offset 4 is not a multiple of the alignment 32'));
  it('bad general.alignment', () => expectGgufError(file({ kv: (b) => b.str('general.alignment').u32(4).u32(24) }), 'bad-value', 'metadata "general.alignment" must be a u32 power of two, got u32 24'));
  it('overlapping tensors', () => expectGgufError(
    file({ header: rawHeader(2, 1), data: 64, tensor: (b) => b.str('w').u32(2).u64(8).u64(1).u32(0).u64(0).str('v').u32(1).u64(16).u32(0).u64(0) }),
    'tensor-overlap', /tensor "v" \(bytes \d+\.\.\d+\) overlaps tensor "w"|tensor "w" \(bytes \d+\.\.\d+\) overlaps tensor "v"/));
  it('duplicate tensor names', () => expectGgufError(
    file({ header: rawHeader(2, 1), data: 64, tensor: (b) => b.str('w').u32(2).u64(8).u64(1).u32(0).u64(0).str('w').u32(2).u64(8).u64(1).u32(0).u64(32) }),
    'duplicate-name', 'bad.gguf: tensor "w" appears twice'));
  it('duplicate metadata keys', () => expectGgufError(
    file({ header: rawHeader(1, 2), kv: (b) => b.str('a').u32(4).u32(1).str('a').u32(4).u32(2) }), 'duplicate-name', 'metadata key "a" appears twice'));
  it('absurd tensor count', () => expectGgufError(file({ header: rawHeader(2n ** 40n, 1) }), 'absurd-count', `tensor count ${2 ** 40} is absurd (at most ${2 ** 20})`));
  it('tensor count the file cannot hold', () => expectGgufError(file({ header: rawHeader(1000, 1) }), 'absurd-count', /tensor count 1000 cannot fit: 1000 entries need at least 32000 bytes, the file has \d+ left/));
  it('absurd key/value count', () => expectGgufError(file({ header: rawHeader(1, 2n ** 33n) }), 'absurd-count', `metadata key/value count ${2 ** 33} is absurd`));
  it('a count over 2^53', () => expectGgufError(file({ header: rawHeader(2n ** 60n, 1) }), 'absurd-count', `tensor count is ${2n ** 60n}, over 2^53`));
  it('absurd string length', () => expectGgufError(file({ kv: (b) => b.str('k').u32(8).u64(2n ** 40n) }), 'absurd-count', `metadata "k" length ${2 ** 40} is absurd`));
  it('absurd array length', () => expectGgufError(file({ kv: (b) => b.str('k').u32(9).u32(6).u64(2n ** 40n) }), 'absurd-count', `metadata "k" array length ${2 ** 40} is absurd`));
  it('array longer than the file', () => expectGgufError(file({ kv: (b) => b.str('k').u32(9).u32(6).u64(100000) }), 'absurd-count', /metadata "k" array length 100000 cannot fit: 100000 entries need at least 400000 bytes/));
  it('arrays nested too deep', () => {
    const nest = (b: RawBytes, d: number): RawBytes => (d === 0 ? b.u32(4).u64(0) : nest(b.u32(9).u64(1), d - 1));
    return expectGgufError(file({ kv: (b) => nest(b.str('k').u32(9), 5) }), 'absurd-count', 'nests arrays deeper than 4');
  });
  it('a file too short for its magic', () => expectGgufError(new Uint8Array([0x47, 0x47]), 'truncated', 'bad.gguf: truncated: magic needs 4 bytes at offset 0, but the file has 2 bytes'));
});

import { BUILTINS, FLAT_WG, memoSpec, paramsStruct, storage, type Field } from './common.js';
import type { Tunables } from '../flags.js';

/**
 * KV caches live as [B, nKv, cap, hd] with cap >= the tokens held, so a decode step appends in place.
 * kv-append: new k, v [B,S,nKv*hd] -> present[b, h, past + s, :] (both caches in one dispatch).
 * kv-copy:   past [B,nKv,capIn,hd] tokens [0, past) -> present [B,nKv,capOut,hd] (when the cache must move).
 */
export const KV_APPEND_FIELDS: readonly Field[] = [['n', 'u32'], ['seq', 'u32'], ['kvHeads', 'u32'], ['hd', 'u32'], ['past', 'u32'], ['cap', 'u32']];
export const KV_COPY_FIELDS: readonly Field[] = [['n', 'u32'], ['past', 'u32'], ['hd', 'u32'], ['capIn', 'u32'], ['capOut', 'u32']];

export function kvAppendKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`kv-append|${wg}`, () => ({
    name: 'kv-append',
    storage: ['read', 'read', 'write', 'write'],
    code: `${paramsStruct(KV_APPEND_FIELDS)}${storage(1, 'k', 'read', 'f32')}${storage(2, 'v', 'read', 'f32')}${storage(3, 'pk', 'write', 'f32')}${storage(4, 'pv', 'write', 'f32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.n) { return; }
  let d = i % p.hd;
  let r = i / p.hd;
  let h = r % p.kvHeads;
  let bs = r / p.kvHeads;          // b * seq + s
  let s = bs % p.seq;
  let b = bs / p.seq;
  let o = ((b * p.kvHeads + h) * p.cap + p.past + s) * p.hd + d;
  pk[o] = k[i];
  pv[o] = v[i];
}
`,
  }));
}

export function kvCopyKernel(tun: Tunables) {
  const wg = tun.elementwiseWorkgroupSize;
  return memoSpec(`kv-copy|${wg}`, () => ({
    name: 'kv-copy',
    storage: ['read', 'read', 'write', 'write'],
    code: `${paramsStruct(KV_COPY_FIELDS)}${storage(1, 'ik', 'read', 'f32')}${storage(2, 'iv', 'read', 'f32')}${storage(3, 'ok', 'write', 'f32')}${storage(4, 'ov', 'write', 'f32')}
@compute @workgroup_size(${wg})
fn main(${BUILTINS}) {
  ${FLAT_WG}
  let i = wg * ${wg}u + li;
  if (i >= p.n) { return; }
  let d = i % p.hd;
  let r = i / p.hd;
  let t = r % p.past;
  let bh = r / p.past;
  ok[(bh * p.capOut + t) * p.hd + d] = ik[(bh * p.capIn + t) * p.hd + d];
  ov[(bh * p.capOut + t) * p.hd + d] = iv[(bh * p.capIn + t) * p.hd + d];
}
`,
  }));
}

import { MS_DOMAIN } from '../../flags.js';
import type { Lowering } from './lowering.js';

const CAST_TO_FLOAT = { to: { kind: 'int' as const, value: 1 } };

/**
 * table [V,H], ids i32 [B,S] -> [B,S,H] (ONNX Gather on axis 0 takes int32 indices as they are), by storage format:
 * - q4_0 / q8_0 / q4_k / q6_k: com.microsoft GatherBlockQuantized over the repacked rows (only the gathered rows are
 *   dequantized), minus Gather(mins) per block for q4_k;
 * - f16 / bf16: Gather of the half-precision table, then Cast to f32 (exact);
 * - f32: Gather.
 */
export const lowerGather: Lowering<'Gather'> = (b, node) => {
  const [table, ids] = node.inputs;
  const name = node.name;
  const outputs = node.outputs;
  const axis0 = { axis: { kind: 'int' as const, value: 0 } };
  const q = b.blockQuantized(table);
  if (q) {
    const { rows, cols, bits, blockSize } = q;
    const blocks = cols / blockSize;
    const inputs = [
      b.derivedInitializer(`${table}.table_q${bits}`, 'u8', [rows, (cols * bits) / 8], q.source, () => q.arrays().data),
      b.value(ids),
      b.derivedInitializer(`${table}.table_scales`, 'f32', [rows, blocks], q.source, () => q.arrays().scales),
    ];
    if (q.zeroPointBytesPerRow !== null) {
      inputs.push(b.derivedInitializer(`${table}.table_zero_points`, 'u8', [rows, q.zeroPointBytesPerRow], q.source, () => q.arrays().zeroPoints!));
    }
    const attrs = {
      gather_axis: { kind: 'int' as const, value: 0 }, quantize_axis: { kind: 'int' as const, value: 1 },
      block_size: { kind: 'int' as const, value: blockSize }, bits: { kind: 'int' as const, value: bits },
    };
    if (!q.hasMins) {
      q.release();
      b.op('GatherBlockQuantized', inputs, { name, domain: MS_DOMAIN, attrs, outputs });
      return;
    }
    const scaled = b.op1('GatherBlockQuantized', inputs, { name, domain: MS_DOMAIN, attrs }); // [B,S,H]
    const mins = b.op1('Gather', [b.derivedInitializer(`${table}.table_mins`, 'f32', [rows, blocks], q.source, () => q.arrays().mins!), b.value(ids)], { name, attrs: axis0 }); // [B,S,H/bs]
    q.release();
    const grouped = b.op1('Reshape', [scaled, b.constI64([0, 0, blocks, blockSize])], { name }); // [B,S,H/bs,bs]
    const shifted = b.op1('Sub', [grouped, b.op1('Unsqueeze', [mins, b.constI64([-1])], { name })], { name });
    b.op('Reshape', [shifted, b.constI64([0, 0, cols])], { name, outputs });
    return;
  }
  const packed = b.packedWeight(table);
  if (packed && (packed.format === 'f16' || packed.format === 'bf16')) {
    const half = b.derivedInitializer(table, packed.format, packed.shape, packed, () => packed.bytes);
    const rows = b.op1('Gather', [half, b.value(ids)], { name, attrs: axis0 });
    b.op('Cast', [rows], { name, outputs, attrs: CAST_TO_FLOAT });
    return;
  }
  b.op('Gather', [b.value(table), b.value(ids)], { name, outputs, attrs: axis0 });
};

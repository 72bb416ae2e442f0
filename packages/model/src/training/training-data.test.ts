import { describe, expect, it } from 'vitest';
import { BatchStream, epochOrder, packedRows, paddedRows } from './data-batches.js';
import { examplesFromJsonl } from './training-examples.js';

// a tokenizer whose ids are the char codes, with a BOS (1) when special tokens are on
const tok = { encode: (text: string, o?: { addSpecialTokens?: boolean }) => [...(o?.addSpecialTokens === false ? [] : [1]), ...[...text].map((c) => c.charCodeAt(0))] };

describe('training data', () => {
  it('JSONL: {"text"} counts every token; {"prompt","completion"} ignores the prompt (BOS + prompt labels -100)', () => {
    const ex = examplesFromJsonl('{"text":"ab"}\n\n{"prompt":"Q","completion":"ok"}\n', tok, 'd.jsonl');
    expect(ex).toEqual([
      { ids: [1, 97, 98], labels: [1, 97, 98] },
      { ids: [1, 81, 111, 107], labels: [-100, -100, 111, 107] },
    ]);
  });

  it('bad lines are named by file, line and field', () => {
    expect(() => examplesFromJsonl('{"text":"a"}\n{"text":3}\n', tok, 'd.jsonl')).toThrow('d.jsonl:2: field "text" must be a string, got number');
    expect(() => examplesFromJsonl('{"prompt":"a"}', tok, 'd.jsonl')).toThrow('d.jsonl:1: missing field "completion"');
    expect(() => examplesFromJsonl('{"text":"a"}\n{oops', tok, 'd.jsonl')).toThrow('d.jsonl:2: not valid JSON');
    expect(() => examplesFromJsonl('[1]', tok, 'd.jsonl')).toThrow('d.jsonl:1: expected a JSON object');
    expect(() => examplesFromJsonl('\n\n', tok, 'd.jsonl')).toThrow('d.jsonl: no examples');
  });

  it('JSONL {"segments"}: each part encoded on its own (BOS with the first), its tokens labelled with its expert', () => {
    const [ex] = examplesFromJsonl('{"segments":[{"text":"ab","expert":2},{"text":"c","expert":null},{"text":"d","expert":0}]}', tok, 'd.jsonl');
    expect(ex).toEqual({ ids: [1, 97, 98, 99, 100], labels: [1, 97, 98, 99, 100], experts: [2, 2, 2, -100, 0] });
    // rows carry the experts (padding: -100), and so do the batches, as "routing"
    const [padded] = paddedRows([ex], 7, 0);
    expect([...padded.experts]).toEqual([2, 2, 2, -100, 0, -100, -100]);
    const packed = packedRows([ex, { ids: [7, 8], labels: [7, 8] }], 4, 0);
    expect(packed.map((r) => [...r.experts])).toEqual([[2, 2, 2, -100], [0, -100, -100, -100]]);
    const batch = new BatchStream([padded], 1, 0, false).batch(0);
    expect([...batch.routing!.data]).toEqual([2, 2, 2, -100, 0, -100, -100]);
    // plain text rows give batches without routing labels
    expect(new BatchStream(paddedRows([{ ids: [5, 6], labels: [5, 6] }], 2, 0), 1, 0).batch(0).routing).toBeUndefined();
  });

  it('bad {"segments"} lines are named by file, line, segment and field', () => {
    expect(() => examplesFromJsonl('{"segments":[]}', tok, 'd.jsonl')).toThrow('d.jsonl:1: field "segments" must be a non-empty array');
    expect(() => examplesFromJsonl('{"segments":[{"text":"a","expert":1.5}]}', tok, 'd.jsonl')).toThrow('d.jsonl:1: segments[0]: field "expert" must be an expert index');
    expect(() => examplesFromJsonl('{"segments":[{"text":"a","expert":0},{"expert":0}]}', tok, 'd.jsonl')).toThrow('d.jsonl:1: segments[1]: field "text" must be a string, got undefined');
    expect(() => examplesFromJsonl('{"segments":[{"text":"a","expert":0}],"text":"b"}', tok, 'd.jsonl')).toThrow('give "segments" alone');
  });

  it('padding cuts to seq-len and pads right (mask 0, label -100); rows without a counted label are dropped', () => {
    const rows = paddedRows([{ ids: [5, 6, 7, 8], labels: [5, 6, 7, 8] }, { ids: [9, 10], labels: [-100, 10] }, { ids: [3, 4], labels: [-100, -100] }], 3, 0);
    expect(rows.map((r) => [[...r.ids], [...r.mask], [...r.labels]])).toEqual([
      [[5, 6, 7], [1, 1, 1], [5, 6, 7]],
      [[9, 10, 0], [1, 1, 0], [-100, 10, -100]],
    ]);
  });

  it('packing concatenates and cuts (group_texts), padding only the rest', () => {
    const rows = packedRows([{ ids: [1, 2], labels: [-100, 2] }, { ids: [3, 4, 5], labels: [3, 4, 5] }], 2, 0);
    expect(rows.map((r) => [[...r.ids], [...r.mask], [...r.labels]])).toEqual([
      [[1, 2], [1, 1], [-100, 2]], [[3, 4], [1, 1], [3, 4]], [[5, 0], [1, 0], [5, -100]],
    ].filter((r) => r[2].slice(1).some((l) => l !== -100)));
  });

  it('epoch order is a permutation, differs between epochs and seeds, and batches follow it across epochs', () => {
    const o0 = [...epochOrder(10, 7, 0)], o1 = [...epochOrder(10, 7, 1)], s8 = [...epochOrder(10, 8, 0)];
    expect([...o0].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(o1).not.toEqual(o0);
    expect(s8).not.toEqual(o0);
    const rows = paddedRows(Array.from({ length: 3 }, (_, i) => ({ ids: [i + 10, i + 20], labels: [i + 10, i + 20] })), 2, 0);
    const stream = new BatchStream(rows, 2, 7);
    const first = (m: number) => [...stream.batch(m).inputIds.data].filter((_, i) => i % 2 === 0);
    const e0 = [...epochOrder(3, 7, 0)].map((r) => r + 10), e1 = [...epochOrder(3, 7, 1)].map((r) => r + 10);
    expect([...first(0), ...first(1), ...first(2)]).toEqual([...e0, ...e1]);
  });
});

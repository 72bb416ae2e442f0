import type { HfTextTokenizer, TokenEvent } from '@xlora/model';
import { IncrementalDetokenizer } from './incremental-detokenizer.js';
import { StopMatcher } from './stop-matcher.js';

/** How a request wants each token reported. */
export interface ChoiceFormat {
  kind: 'completion' | 'chat';
  tokenizer: HfTextTokenizer | null;
  stop: readonly string[];
  logprobs: boolean;
  scalings?: 'token' | 'layer';
  tokenIds: boolean;
  /** X-LoRA layers L and rows of a token's scalings (Lc: L for layerwise classifiers, else 1) */
  layers: number;
  scalingRows: number;
}

/** What one token adds to a chunk (or to the final choice). */
export interface TokenPiece {
  text: string;
  /** completions: {token, logprob, top}; chat: OpenAI's content entry */
  logprob?: { token: string; logprob: number; top: { token: string; logprob: number }[] };
  scalings?: number[] | number[][];
  tokenId: number;
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/** [Lc·C] → mean over layers [C] ("token"), or [L][C] ("layer"; one row repeated when the classifier is not layerwise). */
export function formatScalings(s: Float32Array, rows: number, layers: number, mode: 'token' | 'layer'): number[] | number[][] {
  const c = s.length / rows;
  const row = (l: number) => Array.from(s.subarray(l * c, (l + 1) * c), round);
  if (mode === 'layer') return Array.from({ length: layers }, (_, l) => row(rows === 1 ? 0 : l));
  const mean = new Array<number>(c).fill(0);
  for (let l = 0; l < rows; l++) for (let k = 0; k < c; k++) mean[k] += s[l * c + k] / rows;
  return mean.map(round);
}

/**
 * One choice's text as it streams: detokenized incrementally, cut at stop strings (also across tokens), with the
 * per-token extras the request asked for. `stopped` turns true when a stop string ended it.
 */
export class ChoiceOutput {
  readonly pieces: TokenPiece[] = [];
  text = '';
  stopped = false;
  private readonly detok: IncrementalDetokenizer | null;
  private readonly matcher: StopMatcher | null;

  constructor(private readonly format: ChoiceFormat) {
    const tok = format.tokenizer;
    this.detok = tok ? new IncrementalDetokenizer((ids) => tok.decode(ids)) : null;
    this.matcher = format.stop.length ? new StopMatcher(format.stop) : null;
  }

  /** The piece a token adds (its text may be '' while held back). */
  push(e: TokenEvent): TokenPiece {
    const f = this.format;
    let text = this.detok ? this.detok.push(e.token) : '';
    if (this.matcher) {
      const r = this.matcher.push(text);
      text = r.text;
      this.stopped = r.stopped;
    }
    const piece: TokenPiece = { text, tokenId: e.token };
    if (f.logprobs && e.logprob !== undefined) {
      const str = (id: number) => (f.tokenizer ? f.tokenizer.decode([id]) : String(id));
      piece.logprob = { token: str(e.token), logprob: e.logprob, top: (e.topLogprobs ?? []).map((t) => ({ token: str(t.token), logprob: t.logprob })) };
    }
    if (f.scalings && e.scalings) piece.scalings = formatScalings(e.scalings, f.scalingRows, f.layers, f.scalings);
    this.text += text;
    this.pieces.push(piece);
    return piece;
  }

  /** Text held back until the end (an incomplete character, a possible stop-string start). */
  flush(): string {
    if (this.stopped) return '';
    let rest = this.detok ? this.detok.flush() : '';
    if (this.matcher) {
      const r = this.matcher.push(rest);
      rest = r.text + (r.stopped ? '' : this.matcher.flush());
      this.stopped = r.stopped;
    }
    this.text += rest;
    return rest;
  }
}

/** OpenAI's logprobs object for some pieces: completions' parallel lists, chat's content entries. */
export function logprobsObject(kind: 'completion' | 'chat', pieces: readonly TokenPiece[], textOffset: number): unknown {
  const lp = pieces.filter((p) => p.logprob).map((p) => p.logprob!);
  const bytes = (s: string) => [...Buffer.from(s, 'utf8')];
  if (kind === 'chat') {
    return { content: lp.map((l) => ({ token: l.token, logprob: l.logprob, bytes: bytes(l.token), top_logprobs: l.top.map((t) => ({ token: t.token, logprob: t.logprob, bytes: bytes(t.token) })) })) };
  }
  const offsets: number[] = [];
  let at = textOffset;
  for (const p of pieces) {
    offsets.push(at);
    at += p.text.length;
  }
  return {
    tokens: lp.map((l) => l.token), token_logprobs: lp.map((l) => l.logprob),
    top_logprobs: lp.map((l) => Object.fromEntries(l.top.map((t) => [t.token, t.logprob]))), text_offset: offsets,
  };
}

/** The X-LoRA extension of a choice or chunk: token ids and scalings of its tokens, when asked. */
export function xloraObject(format: ChoiceFormat, pieces: readonly TokenPiece[]): Record<string, unknown> | undefined {
  if (!format.tokenIds && !format.scalings) return undefined;
  const out: Record<string, unknown> = {};
  if (format.tokenIds) out.token_ids = pieces.map((p) => p.tokenId);
  if (format.scalings) out.scalings = pieces.map((p) => p.scalings);
  return out;
}

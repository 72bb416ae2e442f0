/**
 * Text of a growing token list, one delta at a time. Each call decodes a short window (the tokens since the last
 * emitted text plus the ones before it, so tokenizers that drop a leading space of a lone token still join
 * correctly) and holds text back while it ends in an incomplete character (U+FFFD from a partial UTF-8 sequence).
 */
export class IncrementalDetokenizer {
  private readonly ids: number[] = [];
  private prefix = 0;
  private read = 0;

  constructor(private readonly decodeIds: (ids: readonly number[]) => string) {}

  /** some tokenizers refuse an empty list */
  private decode(ids: readonly number[]): string {
    return ids.length ? this.decodeIds(ids) : '';
  }

  /** Adds a token; returns the new text it completes ('' while held back). */
  push(id: number): string {
    this.ids.push(id);
    const before = this.decode(this.ids.slice(this.prefix, this.read));
    const after = this.decode(this.ids.slice(this.prefix));
    if (after.length <= before.length || after.endsWith('\uFFFD')) return '';
    this.prefix = this.read;
    this.read = this.ids.length;
    return after.slice(before.length);
  }

  /** What is still held back (an incomplete character at the end), as the tokenizer renders it. */
  flush(): string {
    const before = this.decode(this.ids.slice(this.prefix, this.read));
    const after = this.decode(this.ids.slice(this.prefix));
    this.prefix = this.read = this.ids.length;
    return after.length > before.length ? after.slice(before.length) : '';
  }
}

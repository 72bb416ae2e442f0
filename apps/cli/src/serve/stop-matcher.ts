/**
 * Stop strings over streamed text, also across token boundaries: text that could be the start of a stop string is
 * held until it is known not to be. The stop string itself is never sent (as OpenAI).
 */
export class StopMatcher {
  private text = '';
  private sent = 0;
  stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  /** Adds text; returns what can be sent now and whether a stop string ended it. */
  push(delta: string): { text: string; stopped: boolean } {
    if (this.stopped) return { text: '', stopped: true };
    this.text += delta;
    const longest = Math.max(0, ...this.stops.map((s) => s.length));
    const from = Math.max(0, this.sent - longest + 1);
    let cut = -1;
    for (const s of this.stops) {
      const at = this.text.indexOf(s, from);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.stopped = true;
      return { text: this.take(cut), stopped: true };
    }
    return { text: this.take(this.text.length - this.heldSuffix()), stopped: false };
  }

  /** The rest once generation ended without a stop string. */
  flush(): string {
    return this.stopped ? '' : this.take(this.text.length);
  }

  /** Length of the longest end of the text that a stop string starts with. */
  private heldSuffix(): number {
    let held = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, this.text.length); k > held; k--) {
        if (this.text.endsWith(s.slice(0, k))) {
          held = k;
          break;
        }
      }
    }
    return held;
  }

  private take(end: number): string {
    const out = this.text.slice(this.sent, Math.max(end, this.sent));
    this.sent = Math.max(end, this.sent);
    return out;
  }
}

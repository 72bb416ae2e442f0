import type { EngineStats } from '@xlora/model';

/** A Prometheus histogram (cumulative buckets, sum, count). */
class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly name: string, readonly help: string, private readonly bounds: readonly number[]) {
    this.counts = new Array(bounds.length).fill(0);
  }

  observe(v: number): void {
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]) this.counts[i]++;
    this.sum += v;
    this.count++;
  }

  text(): string[] {
    return [
      `# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`,
      ...this.bounds.map((b, i) => `${this.name}_bucket{le="${b}"} ${this.counts[i]}`),
      `${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`,
    ];
  }
}

const LATENCY_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** seconds over which xlora_tokens_per_second is averaged */
const RATE_WINDOW_S = 10;

/** What `GET /metrics` reports (Prometheus text format 0.0.4). */
export class ServeMetrics {
  readonly timeToFirstToken = new Histogram('xlora_time_to_first_token_seconds', 'Time from a request\'s arrival to its first generated token.', LATENCY_BOUNDS);
  readonly timePerToken = new Histogram('xlora_time_per_output_token_seconds', 'Time between two generated tokens of one sequence.', LATENCY_BOUNDS);
  private readonly requests = new Map<string, number>(); // status code -> count
  private promptTokens = 0;
  private completionTokens = 0;
  private readonly recent: number[] = []; // token timestamps (ms) within the rate window

  request(status: number): void {
    this.requests.set(String(status), (this.requests.get(String(status)) ?? 0) + 1);
  }

  prompt(tokens: number): void {
    this.promptTokens += tokens;
  }

  token(nowMs: number): void {
    this.completionTokens++;
    this.recent.push(nowMs);
  }

  tokensPerSecond(nowMs: number): number {
    const since = nowMs - RATE_WINDOW_S * 1000;
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop] < since) drop++;
    this.recent.splice(0, drop);
    return this.recent.length / RATE_WINDOW_S;
  }

  text(stats: EngineStats, nowMs: number): string {
    const gauge = (name: string, help: string, v: number) => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`];
    const counter = (name: string, help: string, v: number) => [`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${v}`];
    return [
      ...gauge('xlora_queue_depth', 'Requests waiting for a place in the running batch.', stats.queued),
      ...gauge('xlora_running_sequences', 'Sequences in the running batch.', stats.running),
      ...gauge('xlora_batch_groups', 'Step graphs in use (knob sets; frozen or exact scalings).', stats.groups),
      ...gauge('xlora_tokens_per_second', `Generated tokens per second over the last ${RATE_WINDOW_S} s.`, this.tokensPerSecond(nowMs)),
      ...counter('xlora_generated_tokens_total', 'Tokens generated.', this.completionTokens),
      ...counter('xlora_prompt_tokens_total', 'Prompt tokens prefilled.', this.promptTokens),
      ...counter('xlora_engine_steps_total', 'Decode steps run (one per knob group and iteration).', stats.steps),
      '# HELP xlora_requests_total Requests answered, by HTTP status.', '# TYPE xlora_requests_total counter',
      ...[...this.requests].map(([code, n]) => `xlora_requests_total{code="${code}"} ${n}`),
      ...this.timeToFirstToken.text(),
      ...this.timePerToken.text(),
      '',
    ].join('\n');
  }
}

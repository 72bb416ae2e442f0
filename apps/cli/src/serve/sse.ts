import type { ServerResponse } from 'node:http';

/** Server-sent events as OpenAI streams them: `data: <json>` per chunk, `data: [DONE]` at the end. */
export class SseWriter {
  constructor(private readonly res: ServerResponse) {}

  open(): void {
    this.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    this.res.flushHeaders();
  }

  get opened(): boolean {
    return this.res.headersSent;
  }

  send(data: unknown): void {
    if (!this.res.writableEnded) this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  done(): void {
    if (this.res.writableEnded) return;
    this.res.write('data: [DONE]\n\n');
    this.res.end();
  }
}

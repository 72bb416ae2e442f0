import type { Request, Response } from '../shared/protocol.js';

type Listener = (msg: Response) => void;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The page's side of the model worker: send requests, receive every response in one place. */
export class WorkerClient {
  private readonly worker: Worker;
  private readonly listeners = new Set<Listener>();
  private nextId = 1;

  constructor() {
    this.worker = new Worker(new URL('../worker/model.worker.ts', import.meta.url), { type: 'module', name: 'xlora-model' });
    this.worker.addEventListener('message', (ev: MessageEvent<Response>) => {
      for (const fn of this.listeners) fn(ev.data);
    });
    this.worker.addEventListener('error', (ev) => {
      const message = ev.message || 'the model worker failed to start (see the browser console)';
      for (const fn of this.listeners) fn({ type: 'error', id: 0, name: 'WorkerError', message });
    });
  }

  onMessage(fn: Listener): void {
    this.listeners.add(fn);
  }

  /** Sends a request and returns its id (responses carry it). */
  send(req: WithoutId<Request>): number {
    const id = this.nextId++;
    this.worker.postMessage({ ...req, id });
    return id;
  }
}

/** The model runs here, off the main thread: the page stays responsive while weights load and tokens are computed. */
import type { Request, Response } from '../shared/protocol.js';
import { Session } from './session.js';

const scope = self as unknown as {
  postMessage(message: Response, transfer?: Transferable[]): void;
  addEventListener(type: 'message', fn: (ev: MessageEvent<Request>) => void): void;
};

const post = (msg: Response, transfer: Transferable[] = []) => scope.postMessage(msg, transfer);
const session = new Session(post);

/** Every failure goes back to the page with its error class and message (InputError text from the loader included). */
function fail(id: number, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  const cause = e.cause instanceof Error && !e.message.includes(e.cause.message) ? ` (cause: ${e.cause.message})` : '';
  post({ type: 'error', id, name: e.name || 'Error', message: `${e.message}${cause}` });
}

scope.addEventListener('message', (ev) => {
  const req = ev.data;
  switch (req.type) {
    case 'load':
      session.load(req.id, req.backend, req.source).catch((err) => fail(req.id, err));
      break;
    case 'generate':
      session.generate(req.id, req.prompt, req.knobs).catch((err) => fail(req.id, err));
      break;
    case 'stop':
      session.stop();
      break;
    case 'train':
      session.train(req.id, req.text, req.options).catch((err) => fail(req.id, err));
      break;
    case 'stop-train':
      session.stopTraining();
      break;
    case 'export-log':
      try {
        session.exportLog(req.id);
      } catch (err) {
        fail(req.id, err);
      }
      break;
  }
});

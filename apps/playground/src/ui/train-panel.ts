import { TRAIN_BACKENDS, type ScalingsRows, type TrainBackendChoice, type TrainOptions } from '../shared/protocol.js';
import { saveBlob } from '../lib/download.js';
import { byId } from './dom.js';
import { heatmapSvg } from './heatmap-svg.js';
import { lossPlotSvg } from './loss-plot.js';

/** Bounds on a dropped file (the text is tokenised in the worker; windows are capped there too). */
const MAX_DROPPED_BYTES = 4 << 20;

export const DEFAULT_TRAIN_TEXT =
  'The committee met on a quiet morning to read the letters that had arrived over the winter. Most of them asked ' +
  'for small things: a bench in the park, a longer opening hour for the library, a crossing near the school. ' +
  'The chair read each one aloud, and the members talked about it until they agreed on what to do.';

/**
 * "Train" panel: text (pasted or dropped), settings, Train / Stop, the live loss curve, the routing of the text
 * before and after training side by side, and the trained checkpoint's files for download.
 */
export class TrainPanel {
  readonly text = byId<HTMLTextAreaElement>('train-text');
  private readonly trainButton = byId<HTMLButtonElement>('train-button');
  private readonly stopButton = byId<HTMLButtonElement>('train-stop');
  private readonly status = byId('train-status');
  private readonly plot = byId('loss-plot');
  private readonly downloads = byId('train-downloads');
  private losses: number[] = [];
  private result: { pieces: string[]; before: ScalingsRows; after: ScalingsRows } | null = null;
  private files: [string, Uint8Array][] = [];

  constructor(onTrain: () => void, onStop: () => void, private readonly view: () => { layer: number | 'mean'; experts: string[] }) {
    this.text.value = DEFAULT_TRAIN_TEXT;
    this.trainButton.addEventListener('click', onTrain);
    this.stopButton.addEventListener('click', onStop);
    this.text.addEventListener('dragover', (ev) => ev.preventDefault());
    this.text.addEventListener('drop', (ev) => {
      const file = ev.dataTransfer?.files[0];
      if (!file) return; // dropped text: the textarea inserts it itself
      ev.preventDefault();
      if (file.size > MAX_DROPPED_BYTES) {
        this.status.textContent = `${file.name}: ${file.size} bytes; the train panel takes text files up to ${MAX_DROPPED_BYTES} bytes`;
        return;
      }
      void file.text().then((t) => (this.text.value = t));
    });
    byId('download-config').addEventListener('click', () => this.save('adapter_config.json', 'application/json'));
    byId('download-weights').addEventListener('click', () => this.save('adapter_model.safetensors', 'application/octet-stream'));
    this.plot.innerHTML = lossPlotSvg([]);
  }

  options(): TrainOptions {
    const num = (id: string) => Number(byId<HTMLInputElement>(id).value);
    const backend = byId<HTMLSelectElement>('train-backend').value as TrainBackendChoice;
    return {
      backend: TRAIN_BACKENDS.includes(backend) ? backend : 'cpu',
      steps: num('train-steps'), lr: num('train-lr'), seqLen: num('train-seq'), batchSize: num('train-batch'),
      warmupSteps: num('train-warmup'), maxGradNorm: 1, seed: 0,
    };
  }

  /** ready: a model is loaded and idle; running: training is in progress. */
  setState(ready: boolean, running: boolean): void {
    this.trainButton.disabled = !ready || running;
    this.stopButton.disabled = !running;
  }

  start(): void {
    this.losses = [];
    this.result = null;
    this.files = [];
    this.downloads.hidden = true;
    this.plot.innerHTML = lossPlotSvg([]);
    byId('train-heat-before').replaceChildren();
    byId('train-heat-after').replaceChildren();
    this.status.textContent = 'compiling the training graphs…';
  }

  started(windows: number, seqLen: number, tokens: number, backend: string): void {
    this.status.textContent = `${tokens} tokens → ${windows} window${windows === 1 ? '' : 's'} of ${seqLen} on ${backend}`;
  }

  addStep(step: number, steps: number, loss: number, lr: number, seconds: number): void {
    this.losses.push(loss);
    this.plot.innerHTML = lossPlotSvg(this.losses);
    this.plot.dataset.losses = JSON.stringify(this.losses);
    this.status.textContent = `step ${step}/${steps} · loss ${loss.toFixed(4)} · lr ${lr.toExponential(2)} · ${(seconds / step).toFixed(2)} s/step`;
  }

  finish(stepsDone: number, stopped: boolean, seconds: number, files: [string, Uint8Array][], pieces: string[], before: ScalingsRows, after: ScalingsRows): void {
    this.files = files;
    this.result = { pieces, before, after };
    this.downloads.hidden = false;
    const first = this.losses[0];
    const last = this.losses[this.losses.length - 1];
    this.status.textContent = `${stopped ? 'stopped after' : 'done:'} ${stepsDone} steps in ${seconds.toFixed(1)} s` +
      (first !== undefined ? ` · loss ${first.toFixed(4)} → ${last.toFixed(4)}` : '');
    this.renderHeatmaps();
  }

  failed(): void {
    this.status.textContent = 'training failed';
  }

  /** Draws the before / after heatmaps at the scalings panel's layer. */
  renderHeatmaps(): void {
    if (!this.result) return;
    const { layer, experts } = this.view();
    const { pieces, before, after } = this.result;
    const draw = (id: string, rows: ScalingsRows) => {
      byId(id).innerHTML = heatmapSvg({ shape: rows.shape, data: rows.data }, { layer, pieces, experts, promptLength: pieces.length });
    };
    draw('train-heat-before', before);
    draw('train-heat-after', after);
  }

  private save(name: string, type: string): void {
    const file = this.files.find(([n]) => n === name);
    if (file) saveBlob(name, new Blob([file[1] as Uint8Array<ArrayBuffer>], { type }));
  }
}

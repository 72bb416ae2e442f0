import { saveBlob } from './lib/download.js';
import { ScalingsStore } from './lib/scalings-store.js';
import { WorkerClient } from './lib/worker-client.js';
import type { LoadedModelInfo, Response } from './shared/protocol.js';
import { byId } from './ui/dom.js';
import { GeneratePanel } from './ui/generate-panel.js';
import { HeatmapPanel } from './ui/heatmap-panel.js';
import { KnobsPanel } from './ui/knobs-panel.js';
import { addNotice, clearError, showError, showNotice } from './ui/messages.js';
import { ModelPanel } from './ui/model-panel.js';
import { renderShares } from './ui/shares-view.js';
import { TrainPanel } from './ui/train-panel.js';

type State = 'idle' | 'loading' | 'ready' | 'generating' | 'training';

const client = new WorkerClient();
const store = new ScalingsStore();
let state: State = 'idle';
let model: LoadedModelInfo | null = null;
let exportWhat: 'json' | 'npy' = 'json';

const modelPanel = new ModelPanel(load);
const knobs = new KnobsPanel();
const gen = new GeneratePanel(generate, () => client.send({ type: 'stop' }));
const heatmap = new HeatmapPanel(store, (what) => {
  exportWhat = what;
  client.send({ type: 'export-log' });
});

const train = new TrainPanel(startTraining, () => client.send({ type: 'stop-train' }), () => ({ layer: heatmap.layer, experts: model?.experts ?? [] }));
heatmap.onLayerChange(() => train.renderHeatmaps());

function setState(next: State): void {
  state = next;
  document.body.dataset.state = next; // tests and styles key on it
  modelPanel.setBusy(next === 'loading' || next === 'generating' || next === 'training');
  train.setState(next === 'ready' || next === 'training', next === 'training');
  gen.setState(next === 'ready' || next === 'generating', next === 'generating');
  heatmap.enableExports(next === 'ready' && store.numRows > 0);
}

function load(): void {
  clearError();
  let source;
  try {
    source = modelPanel.sourceSpec();
  } catch (err) {
    showError('Error', (err as Error).message);
    return;
  }
  model = null;
  showNotice(undefined);
  byId('model-summary').textContent = '';
  setState('loading');
  client.send({ type: 'load', backend: modelPanel.backend, source });
}

function generate(): void {
  if (state !== 'ready') return;
  clearError();
  setState('generating');
  client.send({ type: 'generate', prompt: gen.prompt.value, knobs: knobs.read() });
}

function startTraining(): void {
  if (state !== 'ready') return;
  clearError();
  setState('training');
  train.start();
  client.send({ type: 'train', text: train.text.value, options: train.options() });
}

function onMessage(msg: Response): void {
  switch (msg.type) {
    case 'backend':
      byId('device-chip').textContent = `${msg.backend.name} · ${msg.backend.device}`;
      byId('device-chip').dataset.backend = msg.backend.name;
      showNotice(msg.notice);
      break;
    case 'phase':
      modelPanel.showPhase(msg.text);
      break;
    case 'progress':
      modelPanel.showProgress(msg.loaded, msg.total, msg.file, msg.tensor);
      break;
    case 'notice':
      addNotice(msg.text);
      break;
    case 'loaded':
      model = msg.model;
      knobs.useModel(model);
      heatmap.useModel(model.experts, model.layers, model.layerwise);
      modelPanel.finishProgress(`loaded in ${msg.seconds.toFixed(1)} s`);
      byId('model-summary').textContent = model.summary;
      setState('ready');
      break;
    case 'prompt':
      store.reset(msg.pieces);
      gen.start(gen.prompt.value);
      renderShares(store, model?.experts ?? []);
      heatmap.startGeneration();
      break;
    case 'token': {
      if (msg.scalings) store.addRows(msg.scalings);
      store.addToken(msg.piece);
      const leader = store.leaderForGenerated(msg.step);
      const experts = model?.experts ?? [];
      gen.addToken(msg.piece, leader, experts[leader] ?? `expert ${leader}`, store.meanAt(store.promptLength - 1 + msg.step)[leader] ?? 0);
      gen.showStatus(`generating… ${msg.step + 1} token${msg.step ? 's' : ''}`);
      renderShares(store, experts);
      heatmap.scheduleRender();
      break;
    }
    case 'done': {
      const decode = msg.seconds - msg.prefillSeconds;
      const rate = msg.newTokens > 1 && decode > 0 ? `, ${((msg.newTokens - 1) / decode).toFixed(1)} tokens/s after the prompt` : '';
      const why = msg.stopReason === 'aborted' ? ' — stopped' : msg.stopReason === 'eos' ? ' — end of text' : '';
      gen.showStatus(`${msg.newTokens} tokens in ${msg.seconds.toFixed(2)} s (prompt ${msg.prefillSeconds.toFixed(2)} s${rate})${why}`);
      setState('ready');
      heatmap.render();
      break;
    }
    case 'log':
      if (exportWhat === 'json') saveBlob('xlora-scalings-log.json', new Blob([msg.json], { type: 'application/json' }));
      else if (msg.npy) saveBlob('xlora-scalings.npy', new Blob([msg.npy as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      break;
    case 'train-start':
      train.started(msg.windows, msg.seqLen, msg.tokens, msg.backend);
      break;
    case 'train-step':
      train.addStep(msg.step, msg.steps, msg.loss, msg.lr, msg.seconds);
      break;
    case 'trained':
      train.finish(msg.stepsDone, msg.stopped, msg.seconds, msg.files, msg.pieces, msg.before, msg.after);
      setState('ready');
      break;
    case 'error':
      showError(msg.name, msg.message);
      if (state === 'training') {
        train.failed();
        setState('ready');
      }
      if (state === 'loading') {
        modelPanel.finishProgress('loading failed');
        byId('device-chip').textContent = 'no model loaded';
        setState('idle');
      } else if (state === 'generating') {
        gen.showStatus('failed');
        setState(model ? 'ready' : 'idle');
      }
      break;
  }
}

client.onMessage(onMessage);
setState('idle');
if (new URLSearchParams(location.search).get('autoload') !== '0') load();

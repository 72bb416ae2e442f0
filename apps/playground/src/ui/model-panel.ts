import { detectLayout } from '../lib/detect-layout.js';
import { filesFromDrop, filesFromInput, mergeFiles, type PickedFiles } from '../lib/model-files.js';
import { BACKEND_CHOICES, isBackendChoice, type BackendChoice } from '../shared/backend-choices.js';
import { DTYPE_LABELS, isDtypeChoice, type DtypeChoice } from '../shared/dtype-choices.js';
import type { ModelSourceSpec } from '../shared/protocol.js';
import { byId, h } from './dom.js';

type SourceKind = 'demo' | 'folder' | 'url';

const DEMO_LAYOUT = { baseDir: 'base', xloraDir: 'xlora', adapterRoot: '' };
const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`;

/** Model source (bundled demo, picked/dropped folders, URL), folder fields, backend picker, load progress. */
export class ModelPanel {
  private files: PickedFiles = new Map();
  private readonly backendSelect = byId<HTMLSelectElement>('backend-select');
  private readonly dtypeSelect = byId<HTMLSelectElement>('dtype-select');
  private readonly loadButton = byId<HTMLButtonElement>('load-button');
  private readonly progress = byId<HTMLProgressElement>('load-progress');
  private readonly status = byId('load-status');
  private readonly fields = {
    baseDir: byId<HTMLInputElement>('base-dir'),
    xloraDir: byId<HTMLInputElement>('xlora-dir'),
    adapterRoot: byId<HTMLInputElement>('adapter-root'),
  };

  constructor(onLoad: () => void) {
    const gpu = 'gpu' in navigator;
    for (const c of BACKEND_CHOICES) {
      const note = !gpu && (c.id === 'webgpu' || c.id === 'ort-webgpu') ? ' — no WebGPU in this browser' : '';
      this.backendSelect.append(h('option', { value: c.id }, c.label + note));
    }
    const query = new URLSearchParams(location.search);
    const fromUrl = query.get('backend');
    this.backendSelect.value = isBackendChoice(fromUrl) ? fromUrl : 'auto';
    for (const [id, label] of Object.entries(DTYPE_LABELS)) this.dtypeSelect.append(h('option', { value: id }, label));
    const dtype = query.get('dtype');
    this.dtypeSelect.value = isDtypeChoice(dtype) ? dtype : 'stored';

    for (const radio of document.querySelectorAll<HTMLInputElement>('input[name=source]')) {
      radio.addEventListener('change', () => this.showSource());
    }
    this.showSource();

    const input = byId<HTMLInputElement>('folder-input');
    input.addEventListener('change', () => {
      if (input.files?.length) void this.addFiles(filesFromInput(input.files));
      input.value = '';
    });
    const zone = byId('drop-zone');
    zone.addEventListener('dragover', (ev) => {
      ev.preventDefault();
      zone.classList.add('over');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (ev) => {
      ev.preventDefault();
      zone.classList.remove('over');
      if (ev.dataTransfer) void filesFromDrop(ev.dataTransfer).then((f) => this.addFiles(f));
    });
    byId('folder-clear').addEventListener('click', () => {
      this.files = new Map();
      this.showFiles([]);
    });
    this.loadButton.addEventListener('click', onLoad);
  }

  get backend(): BackendChoice {
    return this.backendSelect.value as BackendChoice;
  }

  get dtype(): DtypeChoice {
    return this.dtypeSelect.value as DtypeChoice;
  }

  get source(): SourceKind {
    return (document.querySelector<HTMLInputElement>('input[name=source]:checked')?.value ?? 'demo') as SourceKind;
  }

  /** What the worker should load; throws an Error with a readable message when the form is incomplete. */
  sourceSpec(): ModelSourceSpec {
    const layout = {
      baseDir: this.fields.baseDir.value.trim(),
      xloraDir: this.fields.xloraDir.value.trim(),
      adapterRoot: this.fields.adapterRoot.value.trim(),
      dtype: this.dtype,
    };
    switch (this.source) {
      case 'demo':
        return { kind: 'url', baseUrl: new URL('models/xlora-demo/', document.baseURI).href, ...DEMO_LAYOUT, dtype: this.dtype };
      case 'url': {
        const raw = byId<HTMLInputElement>('url-input').value.trim();
        if (!raw) throw new Error('type the URL of the folder that holds the model (base model, X-LoRA checkpoint, experts)');
        return { kind: 'url', baseUrl: new URL(raw, document.baseURI).href, ...layout };
      }
      case 'folder':
        if (this.files.size === 0) throw new Error('choose or drop the model folder first');
        return { kind: 'files', files: [...this.files], ...layout };
    }
  }

  setBusy(busy: boolean): void {
    this.loadButton.disabled = busy;
    this.backendSelect.disabled = busy;
    this.dtypeSelect.disabled = busy;
  }

  showPhase(text: string): void {
    this.status.textContent = text;
  }

  /** Bytes of the base model read so far; `tensor`: the one just read, where the loader names it. */
  showProgress(loaded: number, total: number, file: string, tensor?: string): void {
    this.progress.hidden = false;
    const known = Number.isFinite(total) && total > 0;
    if (known) this.progress.value = loaded / total;
    else this.progress.removeAttribute('value');
    const name = file.split('/').pop();
    this.status.textContent = `reading ${name}: ${mb(loaded)}${known ? ` of ${mb(total)}` : ''}${tensor ? ` · ${tensor}` : ''}`;
  }

  /** Load finished (ok) or failed: hides the bar, leaves a one-line status. */
  finishProgress(text: string): void {
    this.progress.value = 1;
    this.progress.hidden = true;
    this.status.textContent = text;
  }

  private showSource(): void {
    const kind = this.source;
    for (const k of ['demo', 'folder', 'url'] as const) byId(`source-${k}`).hidden = k !== kind;
    const details = byId<HTMLDetailsElement>('layout-fields');
    details.hidden = kind === 'demo';
    if (kind !== 'demo') details.open = true;
    if (kind === 'url' && !this.fields.baseDir.value) Object.entries(DEMO_LAYOUT).forEach(([k, v]) => (this.fields[k as keyof typeof DEMO_LAYOUT].value = v));
  }

  private async addFiles(more: PickedFiles): Promise<void> {
    this.files = mergeFiles(this.files, more);
    const paths = [...this.files.keys()];
    this.showFiles(paths);
    const layout = await detectLayout(paths, async (p) => this.files.get(p)?.text());
    this.fields.baseDir.value = layout.baseDir;
    this.fields.xloraDir.value = layout.xloraDir;
    this.fields.adapterRoot.value = layout.adapterRoot;
    byId('layout-notes').textContent = layout.notes.join('; ');
  }

  private showFiles(paths: string[]): void {
    const bytes = paths.reduce((a, p) => a + (this.files.get(p)?.size ?? 0), 0);
    const tops = [...new Set(paths.map((p) => p.split('/')[0]))];
    byId('folder-summary').textContent = paths.length
      ? `${paths.length} files, ${mb(bytes)} from ${tops.slice(0, 4).join(', ')}${tops.length > 4 ? ', …' : ''}`
      : '';
    byId('folder-clear').hidden = paths.length === 0;
  }
}

import type { Knobs, LoadedModelInfo } from '../shared/protocol.js';
import { byId, h } from './dom.js';

const num = (id: string) => byId<HTMLInputElement>(id);
const passText = (v: number) => String(Math.round(v * 1e6) / 1e6);

/** PEFT's runtime knobs and the sampling settings; read fresh for every generation. */
export class KnobsPanel {
  private defaults: LoadedModelInfo['defaults'] | null = null;
  private readonly topK = byId<HTMLSelectElement>('top-k');

  constructor() {
    byId('reset-knobs').addEventListener('click', () => this.reset());
    const freeze = byId<HTMLInputElement>('freeze');
    const syncFreeze = () => (num('freeze-after').disabled = !freeze.checked);
    freeze.addEventListener('change', syncFreeze);
    syncFreeze();
    this.setExperts(3);
  }

  /** A new model: top-k choices for its expert count, knobs at the checkpoint's values. */
  useModel(info: LoadedModelInfo): void {
    this.defaults = info.defaults;
    this.setExperts(info.experts.length);
    this.reset();
  }

  read(): Knobs {
    const value = (id: string, fallback: number) => {
      const v = num(id).valueAsNumber;
      return Number.isFinite(v) ? v : fallback;
    };
    const freeze = byId<HTMLInputElement>('freeze').checked;
    return {
      topK: this.topK.value === 'all' ? null : Number(this.topK.value),
      softmaxTopK: byId<HTMLInputElement>('softmax-topk').checked,
      globalScalingWeight: value('global-weight', 1),
      // the field shows a rounded value; unchanged, it means the checkpoint's exact value (e.g. 1/3)
      scalingPassValue: this.defaults && num('pass-value').value === passText(this.defaults.scalingPassValue)
        ? this.defaults.scalingPassValue
        : value('pass-value', 0),
      freezeScalingsAfter: freeze ? Math.max(1, Math.round(value('freeze-after', 8))) : undefined,
      temperature: Math.max(0, value('temperature', 0)),
      seed: Math.max(0, Math.round(value('seed', 0))),
      maxNewTokens: Math.max(1, Math.min(4096, Math.round(value('max-new-tokens', 32)))),
    };
  }

  private setExperts(n: number): void {
    const keep = this.topK.value;
    this.topK.replaceChildren(h('option', { value: 'all' }, 'all experts (no top-k)'));
    for (let k = 1; k <= n; k++) this.topK.append(h('option', { value: String(k) }, `top ${k}`));
    this.topK.value = [...this.topK.options].some((o) => o.value === keep) ? keep : 'all';
  }

  private reset(): void {
    const d = this.defaults;
    if (!d) return;
    this.topK.value = d.topK === null ? 'all' : String(d.topK);
    byId<HTMLInputElement>('softmax-topk').checked = d.softmaxTopK;
    num('global-weight').value = String(d.globalScalingWeight);
    num('pass-value').value = passText(d.scalingPassValue);
    byId<HTMLInputElement>('freeze').checked = false;
    num('freeze-after').disabled = true;
  }
}

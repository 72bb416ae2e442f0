import { printableToken } from '@xlora/scaling-logger';
import { byId, expertColor, h } from './dom.js';

export const EXAMPLES: { label: string; prompt: string }[] = [
  { label: 'prose + code + math', prompt: 'The function below adds two numbers.\ndef add(a, b):\n    return a + b\n# 12+30=' },
  { label: 'arithmetic', prompt: '7*8=56\n23+45=' },
  { label: 'Python', prompt: 'def main(args):\n    for i in range(' },
  { label: 'prose', prompt: 'The license allows you to ' },
];

/** Prompt box, example prompts, Generate / Stop, and the streamed output coloured by the leading expert. */
export class GeneratePanel {
  readonly prompt = byId<HTMLTextAreaElement>('prompt');
  private readonly generateButton = byId<HTMLButtonElement>('generate-button');
  private readonly stopButton = byId<HTMLButtonElement>('stop-button');
  private readonly status = byId('gen-status');
  private readonly outPrompt = byId('output-prompt');
  private readonly outGenerated = byId('generated');

  constructor(onGenerate: () => void, onStop: () => void) {
    this.prompt.value = EXAMPLES[0].prompt;
    const examples = byId('examples');
    examples.append(h('span', { class: 'hint' }, 'Examples:'));
    for (const ex of EXAMPLES) {
      const b = h('button', { type: 'button', class: 'small link' }, ex.label);
      b.addEventListener('click', () => {
        this.prompt.value = ex.prompt;
        this.prompt.focus();
      });
      examples.append(b);
    }
    this.generateButton.addEventListener('click', onGenerate);
    this.stopButton.addEventListener('click', onStop);
    this.prompt.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && !this.generateButton.disabled) onGenerate();
    });
  }

  /** ready: a model is loaded; running: a generation is in progress. */
  setState(ready: boolean, running: boolean): void {
    this.generateButton.disabled = !ready || running;
    this.stopButton.disabled = !running;
  }

  start(prompt: string): void {
    this.outPrompt.textContent = prompt;
    this.outGenerated.replaceChildren();
    this.outGenerated.dataset.tokens = '0';
    this.status.textContent = 'reading the prompt…';
  }

  /** One generated token: its text piece in the colour of the expert that led when it was produced. */
  addToken(piece: string, leader: number, expertName: string, weight: number): void {
    const span = h('span', { class: 'tok', style: `color:${expertColor(leader)}`, title: `${printableToken(piece)} · ${expertName} ${weight.toFixed(2)}` }, piece);
    this.outGenerated.append(span);
    this.outGenerated.dataset.tokens = String(this.outGenerated.childElementCount);
  }

  showStatus(text: string): void {
    this.status.textContent = text;
  }
}

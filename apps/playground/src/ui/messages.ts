import { byId } from './dom.js';

/** The red error box: every failure is shown here with its error class (e.g. InputError) and full message. */
export function showError(name: string, message: string): void {
  const box = byId('error-box');
  box.hidden = false;
  box.dataset.errorName = name;
  box.textContent = `${name}: ${message}`;
}

export function clearError(): void {
  const box = byId('error-box');
  box.hidden = true;
  box.textContent = '';
  delete box.dataset.errorName;
}

/** The yellow notice: things the user should know that are not failures (e.g. a backend fallback). */
export function showNotice(text: string | undefined): void {
  const box = byId('notice');
  box.hidden = !text;
  box.textContent = text ?? '';
}

/** Adds a line to the yellow notice (notices from loading: format fallbacks, a server that ignores Range); a line already shown is not repeated. */
export function addNotice(text: string): void {
  const box = byId('notice');
  const lines = box.hidden || !box.textContent ? [] : box.textContent.split('\n');
  if (!lines.includes(text)) lines.push(text);
  box.textContent = lines.join('\n');
  box.hidden = false;
}

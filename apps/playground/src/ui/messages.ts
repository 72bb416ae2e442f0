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

import { InputError } from '@xlora/core';
import type { FileSource } from './file-source.js';
import { joinPath } from './posix-path.js';

/** One chat template and where it came from, for messages ("m/tokenizer_config.json: chat_template"). */
export interface ChatTemplateEntry {
  readonly template: string;
  readonly label: string;
}

/** Chat templates by name; a single template is named "default", as transformers does. */
export type ChatTemplates = Readonly<Record<string, ChatTemplateEntry>>;

/**
 * The chat templates of a tokenizer folder, as transformers reads them: `<dir>/chat_template.jinja` when present
 * (it replaces tokenizer_config.json's), else tokenizer_config.json's "chat_template", either a string or a list of
 * {"name", "template"} objects. Undefined when there is none; an InputError naming the file for a malformed one.
 */
export async function readChatTemplates(src: FileSource, dir: string, cfg: Record<string, unknown>): Promise<ChatTemplates | undefined> {
  const jinjaPath = joinPath(dir, 'chat_template.jinja');
  if (await src.exists(jinjaPath)) {
    let template: string;
    try {
      template = new TextDecoder('utf-8', { fatal: true }).decode(await src.read(jinjaPath));
    } catch {
      throw new InputError(`${src.describe(jinjaPath)}: not valid UTF-8 text`);
    }
    return { default: { template, label: src.describe(jinjaPath) } };
  }
  return chatTemplatesOfConfig(cfg.chat_template, `${src.describe(joinPath(dir, 'tokenizer_config.json'))}: chat_template`);
}

/** tokenizer_config.json's "chat_template" value (`label` names it in messages). */
export function chatTemplatesOfConfig(value: unknown, label: string): ChatTemplates | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return { default: { template: value, label } };
  if (!Array.isArray(value)) throw new InputError(`${label}: expected a string or a list of {"name": ..., "template": ...}, got ${typeName(value)}`);
  const templates: Record<string, ChatTemplateEntry> = {};
  value.forEach((entry: unknown, i) => {
    const where = `${label}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new InputError(`${where}: expected {"name": ..., "template": ...}, got ${typeName(entry)}`);
    const { name, template } = entry as { name?: unknown; template?: unknown };
    if (typeof name !== 'string' || name === '') throw new InputError(`${where}: "name" must be a non-empty string, got ${typeName(name)}`);
    if (typeof template !== 'string') throw new InputError(`${where}: "template" must be a string, got ${typeName(template)}`);
    if (Object.hasOwn(templates, name)) throw new InputError(`${where}: a second template named "${name}"`);
    templates[name] = { template, label: `${label} "${name}"` };
  });
  if (value.length === 0) throw new InputError(`${label}: the list of templates is empty`);
  return templates;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

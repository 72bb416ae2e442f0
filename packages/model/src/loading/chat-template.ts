import { InputError } from '@xlora/core';
import { parseChatTemplate, renderBounded, type ChatTemplateLimits } from './chat-template-render.js';
import type { ChatTemplateEntry } from './chat-template-source.js';
import type { HfTextTokenizer } from './load-tokenizer.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

export interface ApplyChatTemplateOptions {
  /** append the assistant turn's opening (default true) */
  addGenerationPrompt?: boolean;
  /** which of several named templates (tokenizer_config.json's list form); default: the one named "default" */
  templateName?: string;
  /** bounds on rendering (untrusted templates); defaults: DEFAULT_CHAT_TEMPLATE_LIMITS */
  limits?: Partial<ChatTemplateLimits>;
}

/**
 * Renders a conversation with the tokenizer's chat template, as transformers' apply_chat_template(tokenize=False)
 * does, with bounded work and output. Encode the result without adding special tokens again. Every problem with
 * the template (parse or render) is an InputError that starts with where the template came from, e.g.
 * `m/tokenizer_config.json: chat_template: ...`.
 */
export function applyChatTemplate(tokenizer: HfTextTokenizer, messages: readonly ChatMessage[], options: ApplyChatTemplateOptions = {}): string {
  const entry = pickTemplate(tokenizer, options.templateName);
  const fail = (what: string, cause?: unknown): never => {
    throw new InputError(`${entry.label}: ${what}`, { cause });
  };
  let program;
  try {
    program = parseChatTemplate(entry.template);
  } catch (err) {
    return fail(`not a valid Jinja template (${describeError(err)})`, err);
  }
  let text: string;
  try {
    text = renderBounded(program, { messages, add_generation_prompt: options.addGenerationPrompt ?? true, ...tokenizer.specialTokens }, options.limits);
  } catch (err) {
    return fail(`rendering failed: ${describeError(err)}`, err);
  }
  if (text === '') fail(`rendered ${messages.length} message(s) to an empty string; the template must produce the prompt text`);
  return text;
}

function pickTemplate(tokenizer: HfTextTokenizer, name: string | undefined): ChatTemplateEntry {
  const templates = tokenizer.chatTemplates ?? (tokenizer.chatTemplate === undefined ? undefined
    : { default: { template: tokenizer.chatTemplate, label: 'tokenizer_config.json: chat_template' } });
  if (!templates) throw new InputError('tokenizer_config.json has no "chat_template" (and there is no chat_template.jinja): use a plain prompt instead');
  const names = Object.keys(templates);
  const wanted = name ?? 'default';
  if (Object.hasOwn(templates, wanted)) return templates[wanted];
  const first = templates[names[0]].label, suffix = ` "${names[0]}"`;
  const label = first.endsWith(suffix) ? first.slice(0, -suffix.length) : first;
  if (name === undefined) throw new InputError(`${label}: no template named "default" among ${names.map((n) => `"${n}"`).join(', ')}; ask for one by name`);
  throw new InputError(`${label}: no template named "${name}"; the templates are ${names.map((n) => `"${n}"`).join(', ')}`);
}

function describeError(err: unknown): string {
  if (err instanceof RangeError) return `${err.message} (the template needs more memory or stack than it may use)`;
  return err instanceof Error ? err.message : String(err);
}

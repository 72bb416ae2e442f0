import { Template } from '@huggingface/jinja';
import { InputError } from '@xlora/core';
import type { HfTextTokenizer } from './load-tokenizer.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

/**
 * Renders a conversation with the tokenizer's chat template (tokenizer_config.json "chat_template"), as
 * transformers' apply_chat_template(tokenize=False) does. Encode the result without adding special tokens again.
 */
export function applyChatTemplate(tokenizer: HfTextTokenizer, messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string {
  if (!tokenizer.chatTemplate) throw new InputError('tokenizer_config.json has no "chat_template": use a plain prompt instead');
  let template: Template;
  try {
    template = new Template(tokenizer.chatTemplate);
  } catch (err) {
    throw new InputError(`tokenizer_config.json: "chat_template" is not a valid Jinja template (${(err as Error).message})`);
  }
  return template.render({ messages, add_generation_prompt: options.addGenerationPrompt ?? true, ...tokenizer.specialTokens });
}

import { Tokenizer } from '@huggingface/tokenizers';
import { InputError } from '@xlora/core';
import { readChatTemplates, type ChatTemplates } from './chat-template-source.js';
import type { FileSource } from './file-source.js';
import { joinPath } from './posix-path.js';
import { readJsonFile, readOptionalJsonFile } from './read-json.js';

/** Text <-> token ids, as the model's HF tokenizer does it. */
export interface HfTextTokenizer {
  /** Token ids of `text`; special tokens (e.g. BOS) are added as the tokenizer's post-processor says, like transformers. */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** Ids of the special tokens named in tokenizer_config.json, when it names them. */
  readonly eosTokenId?: number;
  readonly bosTokenId?: number;
  readonly padTokenId?: number;
  /** The default chat template (a Jinja template), when the tokenizer has one: chatTemplates.default.template */
  readonly chatTemplate?: string;
  /**
   * Every chat template by name, each with where it came from: chat_template.jinja, or tokenizer_config.json's
   * "chat_template" (a string is named "default"; the list form names each one).
   */
  readonly chatTemplates?: ChatTemplates;
  /** special token strings from tokenizer_config.json (bos_token, eos_token, …), for chat templates */
  readonly specialTokens: Readonly<Record<string, string>>;
}

/**
 * Loads `<dir>/tokenizer.json` (+ tokenizer_config.json when present) with @huggingface/tokenizers.
 * Resolves to null when the folder has no tokenizer.json.
 */
export async function loadTokenizer(src: FileSource, dir: string): Promise<HfTextTokenizer | null> {
  const tokPath = joinPath(dir, 'tokenizer.json');
  if (!(await src.exists(tokPath))) return null;
  const json = await readJsonFile(src, tokPath);
  const cfgPath = joinPath(dir, 'tokenizer_config.json');
  const cfg = ((await readOptionalJsonFile(src, cfgPath)) ?? {}) as Record<string, unknown>;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InputError(`${src.describe(tokPath)}: expected a JSON object`);
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw new InputError(`${src.describe(cfgPath)}: expected a JSON object`);
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, cfg);
  } catch (err) {
    throw new InputError(`${src.describe(tokPath)}: @huggingface/tokenizers cannot load this tokenizer (${(err as Error).message})`, { cause: err });
  }
  const tokenString = (key: string): string | undefined => {
    const v = cfg[key];
    const content = typeof v === 'string' ? v : typeof v === 'object' && v !== null ? (v as { content?: unknown }).content : undefined;
    return typeof content === 'string' ? content : undefined;
  };
  const idOf = (key: string): number | undefined => {
    const content = tokenString(key);
    return content === undefined ? undefined : tok.token_to_id(content);
  };
  const specialTokens = Object.fromEntries(['bos_token', 'eos_token', 'pad_token', 'unk_token']
    .map((k) => [k, tokenString(k)]).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const chatTemplates = await readChatTemplates(src, dir, cfg);
  const chatTemplate = chatTemplates?.default?.template;
  const special = { eosTokenId: idOf('eos_token'), bosTokenId: idOf('bos_token'), padTokenId: idOf('pad_token') };
  return {
    encode: (text, opts) => tok.encode(text, { add_special_tokens: opts?.addSpecialTokens ?? true }).ids,
    decode: (ids, opts) => tok.decode([...ids], { skip_special_tokens: opts?.skipSpecialTokens ?? false }),
    specialTokens,
    ...(chatTemplates === undefined ? {} : { chatTemplates }),
    ...(chatTemplate === undefined ? {} : { chatTemplate }),
    ...Object.fromEntries(Object.entries(special).filter(([, v]) => v !== undefined)),
  };
}

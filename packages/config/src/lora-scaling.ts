import type { LoraConfig } from './lora-config.js';

/**
 * The first key of a rank_pattern / alpha_pattern that applies to `modulePath`, as PEFT's `get_pattern_key`:
 * the key (a regex, usually a plain name) must match the whole name or a suffix starting after a ".".
 * Examples for "model.layers.0.self_attn.q_proj": "q_proj", "self_attn.q_proj", "model.layers.0.self_attn.q_proj".
 */
export function patternKeyFor(pattern: Record<string, number>, modulePath: string): string | null {
  for (const key of Object.keys(pattern)) {
    if (modulePath === key || modulePath.endsWith(`.${key}`)) return key;
    try {
      if (new RegExp(`^(?:.*\\.)?(?:${key})$`).test(modulePath)) return key;
    } catch {
      // not a valid JS regex: literal comparison above already ran
    }
  }
  return null;
}

/** The LoRA rank PEFT gives this module: rank_pattern entry, else r. */
export function loraRank(cfg: Pick<LoraConfig, 'r' | 'rankPattern'>, modulePath: string): number {
  const key = patternKeyFor(cfg.rankPattern, modulePath);
  return key === null ? cfg.r : cfg.rankPattern[key];
}

/** The LoRA alpha PEFT gives this module: alpha_pattern entry, else lora_alpha. */
export function loraAlphaFor(cfg: Pick<LoraConfig, 'loraAlpha' | 'alphaPattern'>, modulePath: string): number {
  const key = patternKeyFor(cfg.alphaPattern, modulePath);
  return key === null ? cfg.loraAlpha : cfg.alphaPattern[key];
}

/**
 * PEFT's `scaling[adapter]` for a module: alpha / r, or alpha / sqrt(r) with use_rslora. `rank` defaults to the
 * configured rank for the module (pass the real rank of the loaded A matrix when you have it).
 */
export function loraScaling(cfg: Pick<LoraConfig, 'r' | 'rankPattern' | 'loraAlpha' | 'alphaPattern' | 'useRslora'>, modulePath: string, rank = loraRank(cfg, modulePath)): number {
  const alpha = loraAlphaFor(cfg, modulePath);
  return cfg.useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

/** What one key of a PEFT LoRA adapter_model.safetensors holds. */
export interface LoraKey {
  /** Module path without PEFT's "base_model.model." prefix, e.g. "model.layers.0.self_attn.q_proj". */
  module: string;
  part: 'A' | 'B' | 'B.bias' | 'embedding_A' | 'embedding_B' | 'magnitude';
  /** Adapter name when the key carries one (".lora_A.default.weight"), else null. */
  adapter: string | null;
}

const LINEAR = /^(.+)\.lora_(A|B)(?:\.([^.]+))?\.(weight|bias)$/;
const EMBEDDING = /^(.+)\.lora_embedding_(A|B)(?:\.([^.]+))?$/;
const MAGNITUDE = /^(.+)\.lora_magnitude_vector(?:\.([^.]+))?(?:\.weight)?$/;

/** Parses a LoRA weight key; null for keys that are not LoRA weights (modules_to_save copies, base weights, ...). */
export function parseLoraKey(key: string): LoraKey | null {
  const k = key.startsWith('base_model.model.') ? key.slice('base_model.model.'.length) : key;
  let m = LINEAR.exec(k);
  if (m) {
    if (m[2] === 'A' && m[4] === 'bias') return null;
    return { module: m[1], part: m[2] === 'A' ? 'A' : m[4] === 'bias' ? 'B.bias' : 'B', adapter: m[3] ?? null };
  }
  m = EMBEDDING.exec(k);
  if (m) return { module: m[1], part: m[2] === 'A' ? 'embedding_A' : 'embedding_B', adapter: m[3] ?? null };
  m = MAGNITUDE.exec(k);
  if (m) return { module: m[1], part: 'magnitude', adapter: m[2] ?? null };
  return null;
}

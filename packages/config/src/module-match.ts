/**
 * PEFT's module-name matching (tuners_utils.check_target_module_exists), for module paths like
 * "model.layers.0.self_attn.q_proj":
 * - a list entry matches when it equals the full name or the name ends with "." + entry;
 * - a string is a regex that must match the full name (Python re.fullmatch; JS RegExp syntax is used here).
 */
export function matchesModuleSpec(spec: readonly string[] | string, modulePath: string): boolean {
  if (typeof spec === 'string') return fullMatch(spec, modulePath);
  return spec.some((entry) => modulePath === entry || modulePath.endsWith(`.${entry}`));
}

export function fullMatch(pattern: string, text: string): boolean {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch {
    return pattern === text;
  }
  return re.test(text);
}

/**
 * The transformer-block index of a module path, as PEFT finds it for `layers_to_transform`: the number after
 * `<layers_pattern>.` (or after any segment when no pattern is given), last occurrence. null when none.
 */
export function layerIndexOf(modulePath: string, layersPattern: string[] | string | null): number | null {
  const patterns = layersPattern === null || layersPattern.length === 0 ? ['[^.]*'] : typeof layersPattern === 'string' ? [layersPattern] : layersPattern;
  for (const p of patterns) {
    let re: RegExp;
    try {
      re = new RegExp(`^.*\\.(?:${p})\\.(\\d+)\\.`);
    } catch {
      continue;
    }
    const m = re.exec(modulePath);
    if (m) return Number(m[1]);
  }
  return null;
}

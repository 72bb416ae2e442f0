/** Graph value names of one pass's KV caches ("scaling" or "real" pass) for a layer. */
export function cacheNames(pass: string, layer: number) {
  return {
    pastKey: `${pass}.past.${layer}.key`,
    pastValue: `${pass}.past.${layer}.value`,
    presentKey: `${pass}.present.${layer}.key`,
    presentValue: `${pass}.present.${layer}.value`,
  };
}

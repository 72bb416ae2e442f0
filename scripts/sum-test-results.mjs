// Sums vitest's per-package "Tests  N passed | M failed | K skipped" lines into one closing line.
import { readFileSync } from 'node:fs';

const text = readFileSync(process.argv[2], 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of text.split('\n')) {
  const m = line.match(/\bTests\s+(.*\(\d+\))\s*$/);
  if (!m) continue;
  for (const key of Object.keys(totals)) {
    const n = m[1].match(new RegExp(`(\\d+) ${key}`));
    if (n) totals[key] += Number(n[1]);
  }
}
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);

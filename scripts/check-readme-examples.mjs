// Typechecks the first ```ts block of every published package's README against the package's public exports.
// Each block is written to node_modules/.cache/xlora-readme-examples/<dir>.ts and one `tsc --noEmit` runs over all
// of them, with `paths` mapping every published name and subpath (publishConfig.exports) to its built dist/*.d.ts,
// so an example only compiles if it uses what a registry install really exports. Needs `pnpm build` first.
// Packages without `exports` (bin-only, like @xlora/cli) are skipped: their README example is a shell command.
// Usage: node scripts/check-readme-examples.mjs   (exit 1 with README line numbers on any error)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const out = join(root, 'node_modules/.cache/xlora-readme-examples');
const dirs = ['packages', 'apps'].flatMap((d) => readdirSync(join(root, d)).map((n) => join(root, d, n)));

const paths = {};
const examples = []; // { file, readme, firstLine, name }
const errors = [];
for (const dir of dirs) {
  if (!existsSync(join(dir, 'package.json'))) continue;
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  const exportsMap = pkg.publishConfig?.exports ?? pkg.exports;
  if (!exportsMap) continue;
  for (const [sub, target] of Object.entries(exportsMap)) {
    const types = typeof target === 'string' ? target : target.types;
    if (!types?.endsWith('.d.ts')) {
      errors.push(`${pkg.name}: export "${sub}" has no .d.ts "types" target for published consumers`);
      continue;
    }
    paths[sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`] = [join(dir, types)];
  }
  const readme = join(dir, 'README.md');
  const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^```(ts|typescript)\s*$/.test(l));
  const end = start < 0 ? -1 : lines.findIndex((l, i) => i > start && /^```\s*$/.test(l));
  if (start < 0 || end < 0) {
    errors.push(`${pkg.name}: ${relative(root, readme)} has no \`\`\`ts example block`);
    continue;
  }
  const file = join(out, `${dir.split('/').pop()}.README.ts`);
  examples.push({ file, readme: relative(root, readme), firstLine: start + 2, name: pkg.name, body: lines.slice(start + 1, end) });
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const e of examples) writeFileSync(e.file, `${e.body.join('\n')}\nexport {};\n`);
const tsconfig = {
  compilerOptions: {
    target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2023', 'DOM'], types: ['node'],
    strict: true, noEmit: true, skipLibCheck: true, isolatedModules: true, noUnusedLocals: false, paths,
  },
  files: examples.map((e) => e.file),
};
writeFileSync(join(out, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
for (const [name, [target]] of Object.entries(paths)) {
  if (!existsSync(target)) errors.push(`${name}: ${relative(root, target)} is missing (run the build first)`);
}

if (errors.length === 0) {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(out, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
  // point every diagnostic at the README line it came from
  for (const line of `${r.stdout}${r.stderr}`.split('\n').filter(Boolean)) {
    const m = line.match(/^(.*?)\((\d+),(\d+)\): (.*)$/);
    const e = m && examples.find((x) => resolve(root, m[1]) === x.file);
    errors.push(e ? `${e.name}: ${e.readme}:${e.firstLine + Number(m[2]) - 1}:${m[3]}: ${m[4]}` : line);
  }
  if (r.status !== 0 && errors.length === 0) errors.push(`tsc exited with ${r.status}`);
}

if (errors.length) {
  for (const e of errors) console.error(`README example: ${e}`);
  process.exit(1);
}
console.log(`README examples: ${examples.length} packages typecheck (${examples.map((e) => e.name).join(', ')})`);

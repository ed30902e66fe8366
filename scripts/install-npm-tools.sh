#!/usr/bin/env bash
# Installs the pinned npm tools that fleet runs and tests against, into the project-local folder
# .tools/npm (gitignored):
#   @anthropic-ai/claude-code, @openai/codex  the real agent CLIs (rehearsal and end-to-end tests), pinned in
#                                              src/Fleet.Core/Setup/agent-clis.pins (fleet setup installs the same)
#   ajv                                        a real JSON Schema validator (schema tests)
#   ccusage (+ its native linux-x64 binary)    the peer that fleet usage is compared with (scripts/compare-ccusage.sh,
#                                              scripts/bench-usage.sh); 20.0.24 is the newest version that exists for both
# Idempotent: when every pinned version is already installed it only prints where the binaries are.
#
# usage: scripts/install-npm-tools.sh            (from anywhere inside the repository)
# env:   FLEET_TOOLS_DIR  install somewhere else than <repo>/.tools/npm
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

PINS=()
while read -r pkg ver _exe; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  PINS+=("$pkg@$ver")
done < "$repo/src/Fleet.Core/Setup/agent-clis.pins"
PINS+=(
  "ajv@8.20.0"
  "ccusage@20.0.24"
)
# ccusage's native binary is published per platform; npm refuses the package on any other OS or CPU.
if [[ "$(uname -s)" == "Linux" && "$(uname -m)" == "x86_64" ]]; then
  PINS+=("@ccusage/ccusage-linux-x64@20.0.24")
fi

prefix="${FLEET_TOOLS_DIR:-$repo/.tools/npm}"
bin="$prefix/node_modules/.bin"

command -v npm >/dev/null 2>&1 || { echo "install-npm-tools: npm not found; install Node.js 20+ first" >&2; exit 1; }

installed_version() { # package -> version installed under $prefix, or empty
  local pj="$prefix/node_modules/$1/package.json"
  [[ -f "$pj" ]] || return 0
  node -e 'process.stdout.write(require(process.argv[1]).version || "")' "$pj" 2>/dev/null || true
}

want=()
for pin in "${PINS[@]}"; do
  pkg="${pin%@*}"; ver="${pin##*@}"
  if [[ "$(installed_version "$pkg")" == "$ver" ]]; then
    echo "install-npm-tools: $pkg@$ver already installed"
  else
    want+=("$pin")
  fi
done

if ((${#want[@]} > 0)); then
  mkdir -p "$prefix"
  # A private package.json keeps npm from walking up into an unrelated project.
  [[ -f "$prefix/package.json" ]] || printf '{ "name": "fleet-npm-tools", "private": true }\n' > "$prefix/package.json"
  echo "install-npm-tools: installing ${want[*]} into $prefix"
  # An exact pin that the registry lacks fails here, loudly: never float to another version.
  npm install --prefix "$prefix" --save-exact --no-audit --no-fund --loglevel=error "${want[@]}"
fi

for b in claude codex; do
  if [[ ! -x "$bin/$b" ]]; then
    echo "install-npm-tools: $bin/$b missing after install" >&2
    exit 1
  fi
done

echo "claude: $bin/claude ($("$bin/claude" --version 2>/dev/null | head -n1))"
echo "codex:  $bin/codex ($("$bin/codex" --version 2>/dev/null | head -n1))"
echo "ccusage: $bin/ccusage ($("$bin/ccusage" --version 2>/dev/null | head -n1))"

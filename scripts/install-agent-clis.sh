#!/usr/bin/env bash
# Installs the pinned agent CLIs that fleet's rehearsal tests run for real:
#   @anthropic-ai/claude-code  and  @openai/codex
# into the project-local folder .tools/npm (gitignored). Idempotent: when the pinned versions are
# already installed it does nothing but print where the binaries are.
#
# usage: scripts/install-agent-clis.sh            (from anywhere inside the repository)
# env:   FLEET_TOOLS_DIR  install somewhere else than <repo>/.tools/npm
set -euo pipefail

CLAUDE_PKG="@anthropic-ai/claude-code"
CLAUDE_VERSION="2.1.197"
CODEX_PKG="@openai/codex"
CODEX_VERSION="0.169.0"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
prefix="${FLEET_TOOLS_DIR:-$repo/.tools/npm}"
bin="$prefix/node_modules/.bin"

command -v npm >/dev/null 2>&1 || { echo "install-agent-clis: npm not found; install Node.js 20+ first" >&2; exit 1; }

installed_version() { # package -> version installed under $prefix, or empty
  local pj="$prefix/node_modules/$1/package.json"
  [[ -f "$pj" ]] || return 0
  node -e 'process.stdout.write(require(process.argv[1]).version || "")' "$pj" 2>/dev/null || true
}

want=()
for pair in "$CLAUDE_PKG@$CLAUDE_VERSION" "$CODEX_PKG@$CODEX_VERSION"; do
  pkg="${pair%@*}"; ver="${pair##*@}"
  have="$(installed_version "$pkg")"
  if [[ "$have" == "$ver" && -x "$bin/$( [[ $pkg == "$CLAUDE_PKG" ]] && echo claude || echo codex )" ]]; then
    echo "install-agent-clis: $pkg@$ver already installed"
  else
    # The pin must exist in the registry; fail loudly rather than float to another version.
    if ! npm view "$pkg@$ver" version --silent >/dev/null 2>&1; then
      echo "install-agent-clis: $pkg@$ver is not in the npm registry; update the pin in $0" >&2
      exit 1
    fi
    want+=("$pkg@$ver")
  fi
done

if ((${#want[@]} > 0)); then
  mkdir -p "$prefix"
  # A private package.json keeps npm from walking up into an unrelated project.
  [[ -f "$prefix/package.json" ]] || printf '{ "name": "fleet-agent-clis", "private": true }\n' > "$prefix/package.json"
  echo "install-agent-clis: installing ${want[*]} into $prefix"
  npm install --prefix "$prefix" --save-exact --no-audit --no-fund --loglevel=error "${want[@]}"
fi

for b in claude codex; do
  if [[ ! -x "$bin/$b" ]]; then
    echo "install-agent-clis: $bin/$b missing after install" >&2
    exit 1
  fi
done

echo "claude: $bin/claude ($("$bin/claude" --version 2>/dev/null | head -n1))"
echo "codex:  $bin/codex ($("$bin/codex" --version 2>/dev/null | head -n1))"

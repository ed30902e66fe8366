#!/usr/bin/env bash
# Prints fleet's version from git, so every commit has its own and `dotnet tool update` takes a newer build:
# the newest vX.Y.Z tag plus the commits since it (X.Y.Z.H; X.Y.Z on the tag itself), or 0.1.0.H with H the number
# of commits when no tag is there yet; 0.1.0 outside a git checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo 0.1.0
  exit 0
fi
base=0.1.0
if described=$(git describe --tags --match 'v[0-9]*.[0-9]*.[0-9]*' --long 2>/dev/null); then
  tag=${described%-*-g*}
  height=${described%-g*}
  height=${height##*-}
  if [[ ${tag#v} =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    base=${tag#v}
  else
    height=$(git rev-list --count HEAD)
  fi
else
  height=$(git rev-list --count HEAD 2>/dev/null || echo 0)
fi
if [ "$height" = 0 ]; then echo "$base"; else echo "$base.$height"; fi

#!/usr/bin/env bash
# Builds fleet from this checkout for this machine and installs it as a .NET tool; run it again after a pull to
# update (each commit has its own version: scripts/version.sh). On linux-x64 the tool is one native executable;
# elsewhere, or with --portable, a package that runs on the installed .NET. Build output goes to a log unless it fails.
#
# usage: scripts/install.sh [--tool-path DIR] [--portable]     (default DIR: ~/.local/bin)
set -euo pipefail
cd "$(dirname "$0")/.."

tool_path="$HOME/.local/bin"
portable=false
while [ $# -gt 0 ]; do
  case "$1" in
    --tool-path) tool_path="$2"; shift 2 ;;
    --portable) portable=true; shift ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

version=$(bash scripts/version.sh)
if [ "$portable" = false ] && [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ]; then rid=linux-x64; else rid=any; fi
out=$(mktemp -d "${TMPDIR:-/tmp}/fleet-pack-XXXXXX")
log="$out/pack.log"
trap 'rm -rf "$out"' EXIT

echo "== fleet $version ($([ "$rid" = linux-x64 ] && echo native linux-x64 || echo portable)): building and packing"
pack() {
  if ! dotnet pack src/Fleet.Cli -c Release --nologo -o "$out/nupkg" -p:FleetVersionFromGit=false -p:Version="$version" \
      -p:ToolPackageRuntimeIdentifiers="$rid" "$@" >>"$log" 2>&1; then
    cat "$log" >&2
    echo "install.sh: dotnet pack failed (above)" >&2
    exit 1
  fi
}
# One build: the platform's package (for linux-x64 the ahead-of-time compile). The tool's top-level package only
# names the platform packages, so it is packed from that build without building again.
pack -r "$rid"
pack --no-build

echo "== installing into $tool_path"
mkdir -p "$tool_path"
if [ -e "$tool_path/fleet" ]; then verb=update; else verb=install; fi
if ! dotnet tool "$verb" Fleet.Cli --tool-path "$tool_path" --add-source "$out/nupkg" --version "$version" >>"$log" 2>&1; then
  cat "$log" >&2
  echo "install.sh: dotnet tool $verb failed (above)" >&2
  exit 1
fi
"$tool_path/fleet" --version
case ":$PATH:" in
  *":$tool_path:"*) ;;
  *) echo "$tool_path is not on your PATH: add it, e.g. echo 'export PATH=\"$tool_path:\$PATH\"' >> ~/.bashrc" ;;
esac

#!/usr/bin/env bash
# The flywheel, end to end (issue 7's acceptance scenario): examples/flywheel rehearsed twice with the real claude.
# Run 1: a scripted person answers every gate (npm test x3, the same set-up question x2, rm -rf build).
# fleet retro classifies them, fleet doctrine apply writes the allow rule and the default, and run 2 needs the person
# only for rm -rf build. Ends with fleet trend (table and --html). No API key, no model spend.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${FLEET_SKIP_SETUP:-}" != 1 ]; then bash scripts/setup.sh; fi
echo "== build"
dotnet build src/Fleet.Cli -c Release --nologo -v quiet
fleet=(dotnet "$PWD/src/Fleet.Cli/bin/Release/net10.0/fleet.dll")

work="$(mktemp -d)"
trap '"${fleet[@]}" kill "$work/fleet" --force >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cp -r examples/flywheel "$work/fleet"
mkdir -p "$work/fleet/build"
root="$work/fleet"
export FLEET_HOME="$work/home"

# The person: answers each open gate as the scenario scripts it, until the run has ended and nothing is open.
. scripts/flywheel-person.sh

echo "== run 1 (rehearsal): every gate goes to the person"
"${fleet[@]}" launch "$root" --rehearse --no-tmux
person "$root" approve
run1=$("${fleet[@]}" status "$root" --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).run)')

echo "== retro of run 1"
"${fleet[@]}" retro "$root" --run "$run1" | sed -n '1,/^## api/p' | head -n -1
echo "== doctrine apply"
"${fleet[@]}" doctrine apply "$root" --run "$run1"
cat "$root/.fleet/gates.json"

echo "== run 2 (rehearsal): the briefs carry the doctrine"
"${fleet[@]}" launch "$root" --rehearse --no-tmux
person "$root" deny

echo "== trend"
"${fleet[@]}" trend "$root"
"${fleet[@]}" trend "$root" --json
out="${FLEET_TREND_HTML:-$PWD/artifacts/flywheel-trend.html}"
mkdir -p "$(dirname "$out")"
"${fleet[@]}" trend "$root" --html "$out"
echo "trend page: $out"

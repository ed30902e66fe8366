#!/usr/bin/env bash
# The main job, on a fresh machine: build fleet, then run the shipped iterative example for real against
# fleet's rehearsal endpoint: the real claude and codex CLIs, no API key, no model spend.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "== build"
dotnet build src/Fleet.Cli -c Release --nologo -v quiet
fleet=(dotnet "$PWD/src/Fleet.Cli/bin/Release/net10.0/fleet.dll")

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r examples/iterative "$work/fleet"
# The demo leaves nothing behind: its registry entry and telemetry go to the temporary folder too.
export FLEET_HOME="$work/home"
# The example asks for 3 approvals; a demo needs one (the rehearsal reviewer says iterate, then lgtm).
sed -i 's/"reviewer_lgtm_count": 3/"reviewer_lgtm_count": 1/' "$work/fleet/fleet.json"

"${fleet[@]}" validate "$work/fleet"
"${fleet[@]}" launch "$work/fleet" --dry-run
echo "== launch (rehearsal)"
status=0
"${fleet[@]}" launch "$work/fleet" --rehearse --wait --no-tmux || status=$?
echo "== status"
"${fleet[@]}" status "$work/fleet"
exit "$status"

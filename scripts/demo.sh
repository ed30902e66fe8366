#!/usr/bin/env bash
# The main job, on a fresh machine: build fleet, then run the shipped iterative example for real against
# fleet's rehearsal endpoint: the real claude and codex CLIs, no API key, no model spend.
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d "${TMPDIR:-/tmp}/fleet-demo-XXXXXX")"
log="$work/setup.log"
# apt, npm and the build talk a lot: their output goes to a log, shown only when a step fails.
quiet() {
  if ! "$@" >>"$log" 2>&1; then
    cat "$log" >&2
    echo "demo: '$*' failed (its output is above and in $log)" >&2
    exit 1
  fi
}
echo "== setup and build (output in $log)"
quiet bash scripts/setup.sh
quiet dotnet build src/Fleet.Cli -c Release --nologo -v quiet
fleet=(dotnet "$PWD/src/Fleet.Cli/bin/Release/net10.0/fleet.dll")

cp -r examples/iterative "$work/fleet"
# The demo's registry entry and telemetry stay in its folder too, so it touches nothing of yours; the folder is
# kept for you to look at (status, retro, the workers' logs) and remove.
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
echo "== the demo's fleet is in $work/fleet (look with: FLEET_HOME=$work/home fleet status $work/fleet; remove it with: rm -rf $work)"
exit "$status"

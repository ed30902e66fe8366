#!/usr/bin/env bash
# The main job, on a fresh machine: build fleet, then plan the shipped iterative example.
# (A dry run for now; it becomes a real rehearsal run once the orchestrator lands.)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
dotnet build src/Fleet.Cli -c Release --nologo -v quiet
fleet=(dotnet src/Fleet.Cli/bin/Release/net10.0/fleet.dll)

"${fleet[@]}" validate examples/iterative
"${fleet[@]}" launch examples/iterative --dry-run

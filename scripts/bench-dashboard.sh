#!/usr/bin/env bash
# The dashboard's live path and footprint: journal line appended -> the fleet page's DOM showing it (p50, p99 over
# FLEET_BENCH_EVENTS events, default 120) in the system chromium, while 20 fleets x 20 workers write their streams;
# and the `fleet dashboard` process's CPU and memory meanwhile. Uses the native build when FLEET_NATIVE names it.
#   bash scripts/bench-dashboard.sh            # prints one line; paste it into BENCHMARKS.md
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
dotnet build tests/Fleet.Tests -c Release --nologo -v quiet >/dev/null
FLEET_BENCH_DASHBOARD=1 FLEET_BENCH_OUT="$out" dotnet test tests/Fleet.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~Fleet.Tests.Dashboard.DashboardBenchmark" >/dev/null
echo "fleet dashboard ($(if [ -n "${FLEET_NATIVE:-}" ]; then echo native; else echo dll; fi)): $(cat "$out")"

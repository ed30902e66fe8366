#!/usr/bin/env bash
# Runs the chaos test (kill -9 the orchestrator at 20+ points of a run under CPU load, resume, same outcome)
# N times in a row and prints the pass count. Builds once, then loops `dotnet test --no-build --filter`.
# Each failing run's output is kept in artifacts/chaos-stress/run-K.log.
#
# With FLEET_STRESS_NATIVE=1 it also publishes the native CLI and runs the orchestrator and shims through it, as CI does.
#
#   scripts/chaos-stress.sh 50
set -euo pipefail
n=${1:-10}
cd "$(dirname "$0")/.."
dotnet build fleet.slnx -c Release --nologo -v quiet
if [ "${FLEET_STRESS_NATIVE:-0}" = 1 ]; then
  dotnet publish src/Fleet.Cli/Fleet.Cli.csproj -c Release -r linux-x64 --nologo -v quiet -o artifacts/native
  export FLEET_NATIVE="$PWD/artifacts/native/fleet"
fi
mkdir -p artifacts/chaos-stress
pass=0
for k in $(seq 1 "$n"); do
  log=artifacts/chaos-stress/run-$k.log
  started=$(date +%s)
  if dotnet test tests/Fleet.Tests -c Release --no-build --nologo \
       --filter "FullyQualifiedName~ChaosTests.Killing_the_orchestrator" >"$log" 2>&1; then
    pass=$((pass + 1))
    rm -f "$log"
    result=passed
  else
    result="FAILED (see $log)"
  fi
  echo "run $k/$n: $result in $(( $(date +%s) - started )) s; load $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "passed $pass of $n"
[ "$pass" -eq "$n" ]

#!/usr/bin/env bash
# Builds fleet and runs the whole test suite; the README's test command and what CI runs.
# Installs what the tests need first (scripts/setup.sh), so it works on a fresh machine.
# Ends with one line: "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

results="artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

echo "== build"
dotnet build fleet.slnx -c Release --nologo -v quiet

# The CLI as it ships on linux-x64: compiled ahead of time to one native executable. The tests run it where the
# CLI runs as a process of its own (the orchestrator, the worker shims, NativeBuildTests); FLEET_NATIVE names it.
echo "== native build"
rm -rf artifacts/native
dotnet publish src/Fleet.Cli/Fleet.Cli.csproj -c Release -r linux-x64 --nologo -v quiet -o artifacts/native
export FLEET_NATIVE="$PWD/artifacts/native/fleet"

echo "== test"
status=0
# --blame-hang-timeout turns a hung test into a failure with a dump instead of a stuck CI run.
dotnet test fleet.slnx -c Release --no-build --nologo \
  --logger "trx;LogFileName=fleet.trx" --results-directory "$results" \
  --blame-hang-timeout 10m || status=$?

# dotnet test's own summary is not a line CI recognises: count from the TRX files.
passed=0; failed=0; skipped=0
shopt -s nullglob
for trx in "$results"/*.trx "$results"/*/*.trx; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  x=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
  skipped=$((skipped + ${t:-0} - ${x:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The run failed without a failed test (a crash, a hang dump): never report it as green.
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"

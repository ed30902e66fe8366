#!/usr/bin/env bash
# Benchmarks steering with the real agent CLIs (pinned, in .tools/npm) against fleet's rehearsal endpoint: one
# rehearsed fleet runs a claude and a codex worker side by side, and COUNT messages are said to each, alternately,
# with the real `fleet say` process, in two situations: mid-turn (each message at a random point of a one-second tool
# call; the agent takes it at the next tool boundary) and between turns (the turn was interrupted during a long tool
# call and has ended; the message is the next turn). Per message: `fleet say` start -> the shim's hand-over (the
# handed_at it prints) -> the model request that carries the message (the endpoint's record). Prints median, p99 and
# max per CLI and situation. A message that never reaches the model fails the run and keeps the fleet's folder.
#
# usage: scripts/bench-steer.sh [COUNT]   (default 60; needs a Release build: dotnet build fleet.slnx -c Release)
#   FLEET_NATIVE=<fleet executable>  time that `fleet say`; without it the script publishes the native build as it
#                                    ships (linux-x64, ahead of time) into a temp dir first (a few minutes)
set -euo pipefail
count="${1:-60}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
if [[ -z "${FLEET_NATIVE:-}" ]]; then
  echo "== publishing fleet for linux-x64 (native)" >&2
  dotnet publish "$repo/src/Fleet.Cli/Fleet.Cli.csproj" -c Release -r linux-x64 --nologo -v quiet -o "$tmp/fleet" >/dev/null
  export FLEET_NATIVE="$tmp/fleet/fleet"
fi
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
FLEET_BENCH_STEER="$count" FLEET_BENCH_STEER_OUT="$tmp/out" dotnet test "$repo/tests/Fleet.Tests" -c Release --no-build --nologo \
  --filter "FullyQualifiedName~SteerLatencyBenchmark" --logger "console;verbosity=normal" > "$tmp/test.log" 2>&1 \
  || { grep -E "Exception|kept|Shouldly" "$tmp/test.log" >&2; echo "the benchmark failed (full log above)" >&2; exit 1; }
cat "$tmp/out"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

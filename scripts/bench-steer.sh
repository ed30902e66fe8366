#!/usr/bin/env bash
# Benchmarks steering: the real claude (pinned, in .tools/npm) works through one-second tool calls against the
# rehearsal endpoint while COUNT messages are said to it one at a time through the shim's steering socket. For each
# message: say -> the shim's hand-over to claude's stdin, and say -> the model request that carries it (claude takes
# a message at its next tool boundary, so this includes waiting for the running tool call to end). Prints median,
# p99 and max. Timing is informational.
#
# usage: scripts/bench-steer.sh [COUNT]   (default 60; needs a Release build: dotnet build fleet.slnx -c Release)
set -euo pipefail
count="${1:-60}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(mktemp)"; trap 'rm -f "$out"' EXIT
FLEET_BENCH_STEER="$count" FLEET_BENCH_STEER_OUT="$out" dotnet test "$repo/tests/Fleet.Tests" -c Release --no-build --nologo \
  --filter "FullyQualifiedName~SteerLatencyBenchmark" > /dev/null
cat "$out"

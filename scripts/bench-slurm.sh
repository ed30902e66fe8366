#!/usr/bin/env bash
# Slurm placement against local placement, side by side in one run: the same dag fleet of command workers
# (CHAINS chains of LEN workers, default 5 x 11 = 55 workers and 50 dependency edges, max_concurrent = CHAINS),
# launched with `fleet launch --wait --no-tmux` once with "placement": "local" and once with "placement": "slurm",
# alternating, REPS times. Each agent is `bash -c` that writes $EPOCHREALTIME as its first act and again as its last.
# Per placement it reports, as median and p99 over every rep:
#   submit -> start      : the worker's `worker_spawning` journal entry (the orchestrator decided and submits or
#                          spawns) -> its agent's first act (for slurm: sbatch, the scheduler, slurmd, the shim)
#   exit -> dependent    : a worker's last act -> its dependent agent's first act (every edge)
#   throughput           : workers per second from the first `worker_spawning` to the last `worker_ended`
# Needs the loopback cluster (scripts/slurm-cluster.sh up) or SLURM_CONF of a real one whose nodes share /tmp.
# Timing is informational; nothing here is a test.
#
# usage: scripts/bench-slurm.sh [REPS]   (default 3)
# env:   BENCH_CHAINS (5) BENCH_LEN (11)   BENCH_NO_BUILD=1 use the existing Release build   BENCH_KEEP=1 keep the temp dir
set -euo pipefail
reps="${1:-3}"
chains="${BENCH_CHAINS:-5}"
len="${BENCH_LEN:-11}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fleet_dll="$repo/src/Fleet.Cli/bin/Release/net10.0/fleet.dll"
export SLURM_CONF="${SLURM_CONF:-${FLEET_SLURM_DIR:-/tmp/fleet-slurm}/slurm.conf}"

die() { echo "bench-slurm: $*" >&2; exit 1; }
for tool in dotnet bash python3 sbatch squeue; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
[[ -f "$SLURM_CONF" ]] || die "no cluster: $SLURM_CONF does not exist (scripts/slurm-cluster.sh up)"
sinfo -h >/dev/null 2>&1 || die "sinfo does not answer (SLURM_CONF=$SLURM_CONF)"
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    dotnet build "$repo/src/Fleet.Cli/Fleet.Cli.csproj" -c Release --nologo -v quiet >/dev/null || die "build failed"
fi
[[ -f "$fleet_dll" ]] || die "$fleet_dll not found (build src/Fleet.Cli -c Release)"

work="$(mktemp -d /tmp/bench-slurm.XXXXXX)"
[[ "${BENCH_KEEP:-0}" == 1 ]] || trap 'rm -rf "$work"' EXIT
export FLEET_HOME="$work/home"
export FLEET_COMMAND="$fleet_dll"

fleet_json() { # placement name
    python3 - "$1" "$2" "$chains" "$len" <<'EOF'
import json, sys
placement, name, chains, length = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
agent = 'echo "$EPOCHREALTIME" > "$0/stamps/$2.first"; echo "$EPOCHREALTIME" > "$0/stamps/$2.last"'
workers = []
for c in range(chains):
    for i in range(length):
        w = {"id": f"c{c}w{i}", "type": "code-run", "command": ["bash", "-c", agent, "{root}", "{iteration}", "{worker}"]}
        if i > 0:
            w["depends_on"] = [f"c{c}w{i-1}"]
        workers.append(w)
print(json.dumps({"fleet_name": name, "type": "dag",
                  "config": {"provider": "command", "max_concurrent": chains, "placement": placement},
                  "workers": workers}))
EOF
}

echo "bench-slurm: $reps rep(s), $chains chains x $len workers ($((chains * (len - 1))) edges) per run; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq 1 "$reps"); do
    for placement in local slurm; do
        root="$work/$placement-$rep"
        mkdir -p "$root/stamps"
        fleet_json "$placement" "bench-$placement-$rep-$$" > "$root/fleet.json"
        if ! dotnet "$fleet_dll" launch "$root" --wait --no-tmux > "$work/$placement-$rep.out" 2>&1; then
            cat "$work/$placement-$rep.out" >&2
            die "the $placement run $rep did not succeed"
        fi
        echo "  rep $rep $placement: done"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$work" "$reps" "$chains" "$len" <<'EOF'
import datetime, glob, json, os, statistics, sys
work, reps, chains, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def ts(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]

rows = {}
for placement in ("local", "slurm"):
    submit, edges, rates = [], [], []
    for rep in range(1, reps + 1):
        root = os.path.join(work, f"{placement}-{rep}")
        journal = [json.loads(l) for l in open(os.path.join(root, ".fleet", "journal.jsonl")) if l.strip()]
        spawning = {e["worker"]: ts(e["ts"]) for e in journal if e.get("type") == "worker_spawning"}
        ended = [ts(e["ts"]) for e in journal if e.get("type") == "worker_ended"]
        stamp = lambda w, k: float(open(os.path.join(root, "stamps", f"{w}.{k}")).read().strip())
        for w, t in spawning.items():
            submit.append(stamp(w, "first") - t)
        for c in range(chains):
            for i in range(1, length):
                edges.append(stamp(f"c{c}w{i}", "first") - stamp(f"c{c}w{i-1}", "last"))
        rates.append(len(spawning) / (max(ended) - min(spawning.values())))
    rows[placement] = (submit, edges, rates)

print()
print(f"| placement | submit -> start p50 | p99 | exit -> dependent start p50 | p99 | edges | workers/s (median of {reps}) |")
print("|---|---|---|---|---|---|---|")
for placement, (submit, edges, rates) in rows.items():
    ms = lambda v: f"{v * 1000:.0f} ms"
    print(f"| {placement} | {ms(statistics.median(submit))} | {ms(pct(submit, 99))} | {ms(statistics.median(edges))} | {ms(pct(edges, 99))} | {len(edges)} | {statistics.median(rates):.2f} |")
EOF

#!/usr/bin/env bash
# Does a webhook that is down delay a worker's start? Runs the same fleet side by side, REPS times, alternating:
#   none     no notify section
#   hung     a webhook that accepts the connection and never answers (each attempt waits out the 10 s timeout)
#   refused  a webhook on a closed port (each attempt fails at once and is retried with backoff)
# The fleet: CHAINS chains of LEN command workers (default 2 x 16, 30 dependency edges). Each agent writes
# $EPOCHREALTIME as its first act, opens a gate as a shim does (writes iterations/1/gates/<id>.request.json, so every
# worker makes an event the notifier must deliver while the run goes on), waits 0.2 s, and writes $EPOCHREALTIME as
# its last act. Per edge (a worker -> its dependent): exit -> running = the dependent's first act - the worker's
# last act (agent exit to dependent agent exec, as in scripts/bench-orchestrator.sh). Prints per run p50 / p99 / max
# and, per configuration, the median of the runs' p50 and p99, plus how many events the webhook got.
# Timing is informational; nothing here is a test.
#
# usage: scripts/bench-notify.sh [REPS]          (default 3)
# env:   BENCH_CHAINS (2) BENCH_LEN (16) BENCH_NO_BUILD=1 (use the existing Release build) BENCH_KEEP=1 (keep the temp dir)
set -euo pipefail
reps="${1:-3}"
chains="${BENCH_CHAINS:-2}"
len="${BENCH_LEN:-16}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dll="$repo/src/Fleet.Cli/bin/Release/net10.0/fleet.dll"
die() { echo "bench-notify: $*" >&2; exit 1; }
for tool in dotnet python3 awk sort; do command -v "$tool" >/dev/null || die "$tool not found"; done
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    dotnet build "$repo/src/Fleet.Cli/Fleet.Cli.csproj" -c Release --nologo -v quiet >/dev/null || die "build failed"
fi
[[ -f "$dll" ]] || die "$dll not found"

tmp="$(mktemp -d -t fleet-bench-notify.XXXXXX)"
export FLEET_HOME="$tmp/home"
listener=""
cleanup() {
    local rc=$?
    [[ -z "$listener" ]] || kill "$listener" 2>/dev/null || true
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The hung webhook: accepts every connection and never reads or answers (counts connections in a file).
python3 - "$tmp/hung.port" "$tmp/hung.count" <<'PY' &
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(512)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held, n = [], 0
while True:
    c, _ = s.accept(); held.append(c); n += 1
    open(sys.argv[2], "w").write(str(n))
PY
listener=$!
for _ in $(seq 100); do [[ -s "$tmp/hung.port" ]] && break; sleep 0.1; done
hung_port="$(cat "$tmp/hung.port")"
# A closed port: bound for a moment to pick a free number, then released.
refused_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

stats() { sort -g | awk '{ v[NR] = $1 } END { i50 = int(NR * 0.5); if (i50 < NR * 0.5) i50++; i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++; printf "%.1f %.1f %.1f %d\n", v[i50], v[i99], v[NR], NR }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.1f", v[(NR + 1) / 2]; else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
wid() { printf 'c%d-s%02d' "$1" "$2"; }

run() {
    local rep="$1" label="$2" dir="$tmp/$2-$1"
    local root="$dir/root" st="$dir/stamps" notify=""
    mkdir -p "$root" "$st"
    case "$label" in
        hung) notify=", \"notify\": { \"webhook\": \"http://127.0.0.1:$hung_port/hook/SECRET\" }" ;;
        refused) notify=", \"notify\": { \"webhook\": \"http://127.0.0.1:$refused_port/hook/SECRET\" }" ;;
    esac
    local agent='echo $EPOCHREALTIME > \"$0/$2.start\"; g=\"$1/iterations/1/gates\"; mkdir -p \"$g\"; printf \"{\\\"id\\\":\\\"%s-1-1\\\",\\\"worker\\\":\\\"%s\\\",\\\"iteration\\\":1,\\\"kind\\\":\\\"permission\\\",\\\"tool\\\":\\\"Bash\\\",\\\"summary\\\":\\\"true\\\",\\\"reason\\\":\\\"bench\\\",\\\"asked_at\\\":\\\"2026-01-01T00:00:00Z\\\"}\" \"$2\" \"$2\" > \"$g/$2.tmp\"; mv \"$g/$2.tmp\" \"$g/$2-1-1.request.json\"; sleep 0.2; echo $EPOCHREALTIME > \"$0/$2.end\"'
    {
        printf '{ "fleet_name": "bench-notify", "type": "dag", "config": { "max_concurrent": %d, "provider": "command" }%s,\n  "workers": [\n' "$chains" "$notify"
        local first=1 c s
        for ((c = 1; c <= chains; c++)); do
            for ((s = 1; s <= len; s++)); do
                ((first)) || printf ',\n'
                first=0
                printf '    { "id": "%s", "type": "code-run", "command": ["bash", "-c", "%s", "%s", "{root}", "{worker}"]' "$(wid "$c" "$s")" "$agent" "$st"
                ((s == 1)) || printf ', "depends_on": ["%s"]' "$(wid "$c" $((s - 1)))"
                printf ' }'
            done
        done
        printf '\n  ]\n}\n'
    } > "$root/fleet.json"
    local before; before="$(cat "$tmp/hung.count" 2>/dev/null || echo 0)"
    dotnet "$dll" launch "$root" --wait --no-tmux > "$dir/launch.out" 2>&1 || { tail -5 "$dir/launch.out" >&2; die "$label run $rep failed"; }
    grep -q '"type":"run_ended".*"outcome":"success"' "$root/.fleet/journal.jsonl" || die "$label run $rep did not succeed"
    # The orchestrator gives undelivered events up to 10 s after the run; the next run starts once it is gone.
    local pid; pid="$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$root/.fleet/orchestrator.json")"
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    for ((c = 1; c <= chains; c++)); do
        for ((s = 2; s <= len; s++)); do
            awk -v a="$(cat "$st/$(wid "$c" $((s - 1))).end")" -v b="$(cat "$st/$(wid "$c" "$s").start")" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
        done
    done > "$dir/edges"
    read -r p50 p99 max n <<< "$(stats < "$dir/edges")"
    local hits=""
    [[ "$label" != hung ]] || hits="; the hung webhook got $(( $(cat "$tmp/hung.count" 2>/dev/null || echo 0) - before )) connections"
    if grep -q "SECRET" "$root/.fleet/orchestrator.log"; then die "the webhook's path is in $root/.fleet/orchestrator.log"; fi
    printf '%-8s run %d: %d edges, exit -> running p50 %6.1f  p99 %6.1f  max %6.1f ms (load %s)%s\n' "$label" "$rep" "$n" "$p50" "$p99" "$max" "$(cut -d' ' -f1 /proc/loadavg)" "$hits"
    echo "$p50 $p99" >> "$tmp/$label.results"
}

for ((rep = 1; rep <= reps; rep++)); do
    for label in none hung refused; do run "$rep" "$label"; done
done
echo "summary (median over $reps runs of $((chains * (len - 1))) edges; exit -> running, ms):"
for label in none hung refused; do
    printf '  %-8s p50 %6s  p99 %6s\n' "$label" "$(cut -d' ' -f1 "$tmp/$label.results" | median)" "$(cut -d' ' -f2 "$tmp/$label.results" | median)"
done

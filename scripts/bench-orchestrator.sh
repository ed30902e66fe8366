#!/usr/bin/env bash
# Benchmarks the orchestrator (`fleet orchestrate`, started by `fleet launch`) with command workers as the
# dummy agent, in temp dirs (never the repository). Two measurements, each repeated REPS times:
#
# 1. Latency: CHAINS chains of LEN workers (default 20 x 11 = 220 workers, 200 dependency edges),
#    max_concurrent = CHAINS. Each agent is `bash -c` that writes $EPOCHREALTIME (no fork) to a stamp file as
#    its first act and again as its last act (with BENCH_AGENT_SECONDS, it sleeps that long in between).
#    For every edge (a worker -> its dependent) the script reports
#      exit -> running  : the worker's last act  -> the dependent agent's first act: the issue's "worker exit to
#                         dependent start" (agent process exit -> dependent agent process exec, each within a
#                         builtin's microseconds: the last act is just before exit(2), the first just after exec)
#      exit -> decision : the worker's last act  -> the dependent's `worker_spawning` journal ts
#                         (the orchestrator has read the exit, journaled and decided; it is about to start the dependent)
#      exit.json -> decision : the worker's exit.json renamed into place (ctime) -> the dependent's `worker_spawning`
#                         (the orchestrator's own share: the watcher, reading the record, journaling, deciding)
#    and a breakdown of the medians, each from the last act: the shim sees the exit (its `ended_at`, ms),
#    exit.json is in place (its ctime: the rename), then the orchestrator notices (`worker_ended` ts - ctime)
#    and decides (`worker_spawning` - `worker_ended`), and spawn + shim start (`worker_spawning` -> first act).
#    File times have the kernel's coarse clock (a few ms).
# 2. Idle cost: IDLE_WORKERS workers (default 100), max_concurrent = IDLE_WORKERS, each `cat FIFO`: they all
#    block until the script writes to the FIFO, so the waiting window is exact. Once every agent runs (every
#    claim has an agent pid) and a 3 s settle, the script samples the orchestrator's utime+stime
#    (/proc/PID/stat) over IDLE_SECONDS (default 30) and its VmHWM (/proc/PID/status), and the shims' VmRSS.
#
# Every run must end with `run_ended ... success`; otherwise the script stops with exit code 1.
# Timing is informational; nothing here is a test.
#
# Side by side: BENCH_BASELINE=DIR (a checkout of another commit, e.g. `git worktree add /tmp/base main`, built
# with `dotnet build DIR/src/Fleet.Cli -c Release`) runs each latency rep with that build first ("before"), then
# with this one ("after"), so both see the same machine load; the summary gives both and their ratio.
#
# usage: scripts/bench-orchestrator.sh [REPS]     (default 3)
# env:   BENCH_CHAINS (20) BENCH_LEN (11) BENCH_IDLE_WORKERS (100) BENCH_IDLE_SECONDS (30, a multiple of 5)
#        BENCH_AGENT_SECONDS (0: the agent ends at once)   BENCH_BASELINE (none)
#        BENCH_SKIP_LATENCY=1 / BENCH_SKIP_IDLE=1   run one part only
#        BENCH_NO_BUILD=1   use the existing Release build      BENCH_KEEP=1   keep the temp dir
set -euo pipefail
reps="${1:-3}"
chains="${BENCH_CHAINS:-20}"
len="${BENCH_LEN:-11}"
idle_workers="${BENCH_IDLE_WORKERS:-100}"
idle_seconds="${BENCH_IDLE_SECONDS:-30}"
agent_seconds="${BENCH_AGENT_SECONDS:-0}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fleet_dll="$repo/src/Fleet.Cli/bin/Release/net10.0/fleet.dll"
fleet=(dotnet "$fleet_dll")
baseline_dll=""
if [[ -n "${BENCH_BASELINE:-}" ]]; then
    baseline_dll="$(cd "$BENCH_BASELINE" && pwd)/src/Fleet.Cli/bin/Release/net10.0/fleet.dll"
fi
clk_tck="$(getconf CLK_TCK)"

die() { echo "bench-orchestrator: $*" >&2; exit 1; }
for tool in dotnet setsid bash awk sort date stat mkfifo; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    dotnet build "$repo/src/Fleet.Cli/Fleet.Cli.csproj" -c Release --nologo -v quiet >/dev/null || die "build failed"
fi
[[ -f "$fleet_dll" ]] || die "$fleet_dll not found (build src/Fleet.Cli -c Release)"
[[ -z "$baseline_dll" || -f "$baseline_dll" ]] || die "$baseline_dll not found (build BENCH_BASELINE/src/Fleet.Cli -c Release)"

tmp="$(mktemp -d -t fleet-bench-orch.XXXXXX)"
export FLEET_HOME="$tmp/home"   # registry and telemetry of the runs stay in the temp dir
launcher=""   # a `fleet launch --wait` running in the background
cleanup() {
    local rc=$?
    if [[ -n "$launcher" ]] && kill -0 "$launcher" 2>/dev/null; then
        # stop it first, so that it starts nothing after the check below
        kill "$launcher" 2>/dev/null || true
        wait "$launcher" 2>/dev/null || true
        sleep 1
    fi
    for root in "$tmp"/*/root; do
        [[ -f "$root/.fleet/journal.jsonl" ]] || continue
        if ! grep -q '"type":"run_ended"' "$root/.fleet/journal.jsonl"; then
            echo "bench-orchestrator: stopping the unfinished fleet $root" >&2
            "${fleet[@]}" kill "$root" --force >/dev/null 2>&1 || true
        fi
    done
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

loadavg() { cut -d' ' -f1 /proc/loadavg; }

# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# "p50 p99 max n" (milliseconds, nearest rank) of column COL of FILE
stats() {
    awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '
        { v[NR] = $1 }
        END {
            i50 = int(NR * 0.50); if (i50 < NR * 0.50) i50++
            i99 = int(NR * 0.99); if (i99 < NR * 0.99) i99++
            printf "%.1f %.1f %.1f %d\n", v[i50], v[i99], v[NR], NR
        }'
}

# the run's journal must end in success
check_success() {
    local root="$1" out="$2"
    if ! grep -q '"type":"run_ended".*"outcome":"success"' "$root/.fleet/journal.jsonl" 2>/dev/null; then
        echo "---- launch output" >&2; tail -n 20 "$out" >&2 || true
        echo "---- journal tail" >&2; tail -n 5 "$root/.fleet/journal.jsonl" >&2 || true
        die "the fleet in $root did not succeed"
    fi
}

# worker id of chain c, step s
wid() { printf 'c%02d-s%02d' "$1" "$2"; }

# latency_run REP LABEL DLL: one run of the chains with that build; results go to $tmp/latency.LABEL.results
latency_run() {
    local rep="$1" label="$2" dll="$3"
    local dir="$tmp/lat$rep-$label"
    local root="$dir/root" st="$dir/stamps"
    mkdir -p "$root" "$st"
    local pause=""
    [[ "$agent_seconds" == 0 ]] || pause="sleep $agent_seconds; "
    {
        printf '{ "fleet_name": "bench-latency", "type": "dag", "config": { "max_concurrent": %d, "provider": "command" },\n  "workers": [\n' "$chains"
        local first=1 c s
        for ((c = 1; c <= chains; c++)); do
            for ((s = 1; s <= len; s++)); do
                ((first)) || printf ',\n'
                first=0
                printf '    { "id": "%s", "type": "code-run", "command": ["bash", "-c", "echo $EPOCHREALTIME > \\"$0.start\\"; %secho $EPOCHREALTIME > \\"$0.end\\"", "%s/{worker}"]' "$(wid "$c" "$s")" "$pause" "$st"
                ((s == 1)) || printf ', "depends_on": ["%s"]' "$(wid "$c" $((s - 1)))"
                printf ' }'
            done
        done
        printf '\n  ]\n}\n'
    } > "$root/fleet.json"

    local load0 load1 t0 t1
    load0="$(loadavg)"; t0="$EPOCHREALTIME"
    dotnet "$dll" launch "$root" --wait --no-tmux > "$dir/launch.out" 2>&1 || { check_success "$root" "$dir/launch.out"; die "launch exited non-zero"; }
    t1="$EPOCHREALTIME"; load1="$(loadavg)"
    check_success "$root" "$dir/launch.out"

    # worker -> journal ts of worker_spawning / worker_ended (key order is the serializer's: ts, type, run, worker)
    local journal="$root/.fleet/journal.jsonl"
    sed -n 's/^{"ts":"\([^"]*\)","type":"worker_spawning","run":"[^"]*","worker":"\([^"]*\)".*/\2 \1/p' "$journal" > "$dir/spawn.iso"
    sed -n 's/^{"ts":"\([^"]*\)","type":"worker_ended","run":"[^"]*","worker":"\([^"]*\)".*/\2 \1/p' "$journal" > "$dir/ended.iso"
    for f in spawn ended; do
        paste -d' ' <(cut -d' ' -f1 "$dir/$f.iso") <(cut -d' ' -f2 "$dir/$f.iso" | date -f - +%s.%N) > "$dir/$f.tsv"
    done
    local it="$root/iterations/1"
    (cd "$it" && stat -c '%n %.9Z' -- *.exit.json) | sed 's/\.exit\.json / /' > "$dir/ctime.tsv"
    (cd "$it" && grep -H '"ended_at"' -- *.exit.json) | sed -n 's/^\(.*\)\.exit\.json: *"ended_at": *"\([^"]*\)".*/\1 \2/p' > "$dir/endedat.iso"
    paste -d' ' <(cut -d' ' -f1 "$dir/endedat.iso") <(cut -d' ' -f2 "$dir/endedat.iso" | date -f - +%s.%N) > "$dir/endedat.tsv"
    (cd "$st" && grep -H . -- *.start) | sed 's/\.start:/ /' > "$dir/start.tsv"
    (cd "$st" && grep -H . -- *.end) | sed 's/\.end:/ /' > "$dir/end.tsv"

    # edges: pred dep, then ms: exit->decision, exit->running, shim-records, orch-notices, orch-decides,
    # spawn+shim-start, shim-sees-exit (the shim's ended_at, ms resolution)
    awk '
        FILENAME ~ /spawn.tsv$/ { spawn[$1] = $2; next }
        FILENAME ~ /endedat.tsv$/ { endedat[$1] = $2; next }
        FILENAME ~ /ended.tsv$/ { ended[$1] = $2; next }
        FILENAME ~ /ctime.tsv$/ { ctime[$1] = $2; next }
        FILENAME ~ /start.tsv$/ { start[$1] = $2; next }
        FILENAME ~ /end.tsv$/   { stop[$1] = $2; next }
        END {
            for (w in start) {
                split(w, p, "-s"); s = p[2] + 0
                if (s == 1) continue
                pred = sprintf("%s-s%02d", p[1], s - 1)
                if (!(pred in stop) || !(w in spawn) || !(pred in ended) || !(pred in ctime) || !(pred in endedat)) { print "missing data for " pred " -> " w > "/dev/stderr"; bad = 1; continue }
                printf "%s %s %.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f\n", pred, w,
                    (spawn[w] - stop[pred]) * 1000, (start[w] - stop[pred]) * 1000,
                    (ctime[pred] - stop[pred]) * 1000, (ended[pred] - ctime[pred]) * 1000,
                    (spawn[w] - ended[pred]) * 1000, (start[w] - spawn[w]) * 1000,
                    (endedat[pred] - stop[pred]) * 1000, (spawn[w] - ctime[pred]) * 1000
            }
            exit bad
        }' "$dir/spawn.tsv" "$dir/endedat.tsv" "$dir/ended.tsv" "$dir/ctime.tsv" "$dir/start.tsv" "$dir/end.tsv" > "$dir/edges.tsv" || die "incomplete data in $dir"
    local edges; edges="$(wc -l < "$dir/edges.tsv")"
    ((edges == chains * (len - 1))) || die "expected $((chains * (len - 1))) edges, found $edges"

    read -r d50 d99 dmax n <<< "$(stats "$dir/edges.tsv" 3)"
    read -r r50 r99 rmax _ <<< "$(stats "$dir/edges.tsv" 4)"
    read -r o50 o99 omax _ <<< "$(stats "$dir/edges.tsv" 10)"
    local b0 b1 b2 b3 b4
    b0="$(stats "$dir/edges.tsv" 9 | cut -d' ' -f1)"
    b1="$(stats "$dir/edges.tsv" 5 | cut -d' ' -f1)"; b2="$(stats "$dir/edges.tsv" 6 | cut -d' ' -f1)"
    b3="$(stats "$dir/edges.tsv" 7 | cut -d' ' -f1)"; b4="$(stats "$dir/edges.tsv" 8 | cut -d' ' -f1)"
    printf 'latency %d (%s): %d edges, %.1f s, load %s -> %s\n' "$rep" "$label" "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$load0" "$load1"
    printf '  exit -> running   p50 %7.1f  p99 %7.1f  max %7.1f ms\n' "$r50" "$r99" "$rmax"
    printf '  exit -> decision  p50 %7.1f  p99 %7.1f  max %7.1f ms\n' "$d50" "$d99" "$dmax"
    printf '  exit.json -> decision (the orchestrator alone)  p50 %7.1f  p99 %7.1f  max %7.1f ms\n' "$o50" "$o99" "$omax"
    printf '  medians: shim sees the exit %.1f (ended_at, ms), exit.json in place %.1f, orchestrator notices %.1f, decides %.1f, spawn + shim start %.1f ms\n' "$b0" "$b1" "$b2" "$b3" "$b4"
    echo "$d50 $d99 $dmax $r50 $r99 $rmax $b1 $b2 $b3 $b4 $load0 $load1 $b0 $o50 $o99 $omax" >> "$tmp/latency.$label.results"
}

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

idle_run() {
    local rep="$1"
    local dir="$tmp/idle$rep"
    local root="$dir/root" fifo="$dir/go"
    mkdir -p "$root"
    mkfifo "$fifo"
    {
        printf '{ "fleet_name": "bench-idle", "type": "dag", "config": { "max_concurrent": %d, "provider": "command" },\n  "workers": [\n' "$idle_workers"
        local i
        for ((i = 1; i <= idle_workers; i++)); do
            ((i == 1)) || printf ',\n'
            printf '    { "id": "w%03d", "type": "code-run", "command": ["cat", "%s"] }' "$i" "$fifo"
        done
        printf '\n  ]\n}\n'
    } > "$root/fleet.json"

    local load0 load1
    load0="$(loadavg)"
    local t_launch="$EPOCHREALTIME"
    "${fleet[@]}" launch "$root" --wait --no-tmux > "$dir/launch.out" 2>&1 &
    launcher=$!
    local journal="$root/.fleet/journal.jsonl" pid="" deadline=$((SECONDS + 120))
    while [[ -z "$pid" ]]; do
        ((SECONDS < deadline)) || die "no orchestrator_started in $journal"
        kill -0 "$launcher" 2>/dev/null || { wait "$launcher" || true; check_success "$root" "$dir/launch.out"; die "launch ended early"; }
        pid="$(sed -n 's/.*"type":"orchestrator_started".*"pid":\([0-9]*\).*/\1/p' "$journal" 2>/dev/null | tail -n 1 || true)"
        [[ -n "$pid" ]] || sleep 0.05
    done
    local ticks_start; ticks_start="$(ticks "$pid")"

    # wait until every agent runs: each claim (iterations/1/<id>.run.json) names its agent pid
    deadline=$((SECONDS + 600))
    local running=0
    while ((running < idle_workers)); do
        ((SECONDS < deadline)) || die "only $running of $idle_workers agents started"
        kill -0 "$pid" 2>/dev/null || die "the orchestrator (pid $pid) ended while workers were starting"
        running="$(cat "$root"/iterations/1/*.run.json 2>/dev/null | grep -c '"agent_pid"' || true)"
        ((running >= idle_workers)) || sleep 0.5
    done
    local t_started="$EPOCHREALTIME"
    local ticks_started; ticks_started="$(ticks "$pid")"
    sleep 3

    local t0 t1 k0 k1
    t0="$EPOCHREALTIME"; k0="$(ticks "$pid")"
    # CPU ticks of each 5 s slice of the window (shows whether the cost is steady or a burst)
    local slices="" k_prev="$k0" k_now elapsed=0 shim_pids
    while ((elapsed < idle_seconds)); do
        sleep 5; elapsed=$((elapsed + 5))
        k_now="$(ticks "$pid")"; slices+="$((k_now - k_prev)) "; k_prev="$k_now"
        if [[ ! -f "$dir/shim_rss_kb" && $((elapsed * 2)) -ge "$idle_seconds" ]]; then
            # the shims' memory, mid-window
            shim_pids="$(sed -n 's/.*"shim_pid": *\([0-9]*\).*/\1/p' "$root"/iterations/1/*.run.json)"
            for p in $shim_pids; do status_kb "$p" VmRSS; done > "$dir/shim_rss_kb"
        fi
    done
    t1="$EPOCHREALTIME"; k1="$(ticks "$pid")"
    local hwm rss
    hwm="$(status_kb "$pid" VmHWM)"; rss="$(status_kb "$pid" VmRSS)"
    load1="$(loadavg)"

    # release every agent: they all get end of file and exit 0
    timeout 30 bash -c 'echo > "$0"' "$fifo" || die "could not release the agents"
    local launch_rc=0
    wait "$launcher" || launch_rc=$?
    launcher=""
    check_success "$root" "$dir/launch.out"
    ((launch_rc == 0)) || die "launch exited with $launch_rc"

    local cpu start_cpu_s start_s shim_n shim_med shim_max shim_sum
    cpu="$(awk -v a="$k0" -v b="$k1" -v t0="$t0" -v t1="$t1" -v hz="$clk_tck" 'BEGIN { printf "%.2f", (b - a) / hz / (t1 - t0) * 100 }')"
    start_cpu_s="$(awk -v a="$ticks_start" -v b="$ticks_started" -v hz="$clk_tck" 'BEGIN { printf "%.2f", (b - a) / hz }')"
    start_s="$(awk -v a="$t_launch" -v b="$t_started" 'BEGIN { printf "%.1f", b - a }')"
    shim_n="$(wc -l < "$dir/shim_rss_kb")"
    shim_med="$(awk '{ print $1 / 1024 }' "$dir/shim_rss_kb" | median)"
    shim_max="$(sort -g "$dir/shim_rss_kb" | tail -n 1 | awk '{ printf "%.1f", $1 / 1024 }')"
    shim_sum="$(awk '{ s += $1 } END { printf "%.0f", s / 1024 }' "$dir/shim_rss_kb")"
    printf 'idle %d: %d agents running %.1f s after launch (orchestrator CPU while spawning: %s s); load %s -> %s\n' "$rep" "$idle_workers" "$start_s" "$start_cpu_s" "$load0" "$load1"
    printf '  orchestrator while waiting: %s%% of one core over %.1f s (%d ticks; per 5 s: %s); VmHWM %.1f MB, VmRSS %.1f MB\n' "$cpu" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$((k1 - k0))" "${slices% }" "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
    printf '  shims: %d, VmRSS median %s MB, max %s MB, sum %s MB\n' "$shim_n" "$shim_med" "$shim_max" "$shim_sum"
    echo "$cpu $(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }') $shim_med $shim_sum $start_cpu_s $load0 $load1" >> "$tmp/idle.results"
}

echo "== $(date -u +%Y-%m-%dT%H:%MZ), nproc $(nproc), $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo) RAM, dotnet $(dotnet --version), temp $tmp"
echo "   $chains chains x $len, agent ${agent_seconds}s; this build: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')${baseline_dll:+; before: $BENCH_BASELINE ($(git -C "$BENCH_BASELINE" rev-parse --short HEAD 2>/dev/null || echo '?'))}"
for ((r = 1; r <= reps; r++)); do
    if [[ "${BENCH_SKIP_LATENCY:-0}" != 1 ]]; then
        [[ -z "$baseline_dll" ]] || latency_run "$r" before "$baseline_dll"
        latency_run "$r" after "$fleet_dll"
    fi
    [[ "${BENCH_SKIP_IDLE:-0}" == 1 ]] || idle_run "$r"
done

echo "== medians over $reps runs"
for label in before after; do
    results="$tmp/latency.$label.results"
    [[ -f "$results" ]] || continue
    col() { awk -v c="$1" '{ print $c }' "$results" | median; }
    echo "[$label]"
    echo "exit -> running (dependent's first act):   p50 $(col 4) ms, p99 $(col 5) ms, max $(col 6) ms"
    echo "exit -> decision (journal worker_spawning): p50 $(col 1) ms, p99 $(col 2) ms, max $(col 3) ms"
    echo "exit.json in place -> decision (the orchestrator alone): p50 $(col 14) ms, p99 $(col 15) ms, max $(col 16) ms"
    echo "breakdown (median of per-run medians, each from the exit): shim sees it $(col 13), exit.json in place $(col 7); then orchestrator notices $(col 8), decides $(col 9); spawn + shim start $(col 10) ms"
    echo "load average (1 min) at start of runs: $(awk '{ printf "%s ", $11 }' "$results")"
done
if [[ -f "$tmp/latency.before.results" && -f "$tmp/latency.after.results" ]]; then
    # ratio of the medians, before / after, for p50 and p99 of exit -> running
    ratio() { awk -v a="$(awk -v c="$1" '{ print $c }' "$tmp/latency.before.results" | median)" -v b="$(awk -v c="$1" '{ print $c }' "$tmp/latency.after.results" | median)" 'BEGIN { printf "%.1f", a / b }'; }
    echo "before / after, exit -> running: p50 x$(ratio 4), p99 x$(ratio 5)"
fi
if [[ -f "$tmp/idle.results" ]]; then
    col() { awk -v c="$1" '{ print $c }' "$tmp/idle.results" | median; }
    echo "orchestrator while $idle_workers workers run: $(col 1)% of one core, peak RSS (VmHWM) $(col 2) MB; CPU spawning them $(col 5) s"
    echo "per-shim RSS median $(col 3) MB ($(col 4) MB for $idle_workers shims)"
    echo "load average (1 min) at start of runs: $(awk '{ printf "%s ", $6 }' "$tmp/idle.results")"
fi

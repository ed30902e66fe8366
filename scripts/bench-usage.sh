#!/usr/bin/env bash
# Benchmarks `fleet usage` against `ccusage daily --offline` (pinned, native binary) on a corpus of at least
# 500 MB built by replicating the shared corpus with fresh ids, in a temp dir (never the repository).
#
# Each replica gets its own project folder and Codex rollout names, and every message, request, tool-use
# and session id is rewritten, so neither tool can deduplicate replicas away: both must read and count
# everything, and the totals are exactly REPLICAS times the corpus's.
#
# Runs alternate (fleet, ccusage, fleet, ccusage …); the script prints each run's wall time and peak RSS,
# then the medians and the ratio. fleet runs "cold" (a new, empty store each run: it parses every file
# and writes the full telemetry to SQLite) and "warm" (the store from the previous run: nothing new to
# read, the daily use). Timing is informational; nothing here is a test.
#
# usage: scripts/bench-usage.sh [RUNS]     (default 3 runs of each)
# env:   FLEET_CORPUS_DIR   the shared corpus (default <repo>/../shared/corpus)
#        BENCH_ALT_ENV      runtime settings for an extra cold run per round, side by side with the default
#                           (e.g. BENCH_ALT_ENV=DOTNET_TieredPGO=0), labelled fleet-cold-alt
#        BENCH_MB           target corpus size in MB (default 500)
#        BENCH_ALT_DLL      another build, run cold side by side in each round (fleet-cold-alt): a native
#                           executable, or a fleet.dll (run under dotnet), e.g. an older commit published
#                           the same way (see BENCHMARKS.md)
#        BENCH_KEEP=1       keep the temp dir
set -euo pipefail
runs="${1:-3}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus="${FLEET_CORPUS_DIR:-$repo/../shared/corpus}"
target_mb="${BENCH_MB:-500}"
[[ -d "$corpus/claude" ]] || { echo "bench-usage: corpus not found at $corpus" >&2; exit 2; }

bash "$repo/scripts/install-npm-tools.sh" >/dev/null
ccusage="$repo/.tools/npm/node_modules/.bin/ccusage"
tmp="$(mktemp -d)"
[[ "${BENCH_KEEP:-0}" == 1 ]] || trap 'rm -rf "$tmp"' EXIT
# fleet as it ships: the tool package's linux-x64 build (one native executable, compiled ahead of time), which a
# publish for that platform produces.
echo "== publishing fleet for linux-x64 (native)"
dotnet publish "$repo/src/Fleet.Cli/Fleet.Cli.csproj" -c Release -r linux-x64 --nologo -v quiet -o "$tmp/fleet" >/dev/null
fleet="$tmp/fleet/fleet"
alt=()
if [[ -n "${BENCH_ALT_DLL:-}" ]]; then
  if [[ "$BENCH_ALT_DLL" == *.dll ]]; then alt=(dotnet "$BENCH_ALT_DLL"); else alt=("$BENCH_ALT_DLL"); fi
else
  alt=("$fleet")
fi
echo "== building a >= ${target_mb} MB corpus in $tmp"
python3 - "$corpus" "$tmp" "$target_mb" <<'PY'
import json, os, re, sys
corpus, out, target_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
claude, codex = [], []
for name in sorted(os.listdir(os.path.join(corpus, "claude"))):
    path = os.path.join(corpus, "claude", name)
    if name.endswith(".chat.json"):   # ccusage reads JSONL only: give both tools the same JSONL
        text = "".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n" for e in json.load(open(path, encoding="utf-8")))
        name = name[: -len(".chat.json")] + ".jsonl"
    else:
        text = open(path, encoding="utf-8").read()
    claude.append((name, text))
for name in sorted(os.listdir(os.path.join(corpus, "codex"))):
    codex.append((name.split("__", 1)[-1], open(os.path.join(corpus, "codex", name), encoding="utf-8").read()))
size = sum(len(t.encode()) for _, t in claude + codex)
replicas = -(-target_mb * 1024 * 1024 // size)
# Ids a tool may deduplicate on: Claude message/request/tool-use ids and session uuids, Codex session ids.
ids = re.compile(r'"(msg_|req_|toolu_)|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)([0-9a-f]{12})')
for r in range(replicas):
    tag = f"{r:04d}"
    def fresh(m):
        return f'"{m.group(1)}r{tag}' if m.group(1) else m.group(2) + tag + m.group(3)[4:]
    pdir = os.path.join(out, "claude", "projects", f"-bench-replica-{tag}")
    os.makedirs(pdir, exist_ok=True)
    for name, text in claude:
        open(os.path.join(pdir, ids.sub(fresh, name)), "w", encoding="utf-8").write(ids.sub(fresh, text))
    cdir = os.path.join(out, "codex", "sessions", "2026", "02", "23")
    os.makedirs(cdir, exist_ok=True)
    for name, text in codex:
        # Both tools treat Codex events with the same time, model and tokens as a fork's copied history:
        # each replica lives in its own year so that its events are new spend.
        text = text.replace('"timestamp":"2026-', f'"timestamp":"{2026 + r}-')
        open(os.path.join(cdir, ids.sub(fresh, name)), "w", encoding="utf-8").write(ids.sub(fresh, text))
total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
print(f"replicas={replicas} files={replicas * (len(claude) + len(codex))} bytes={total} ({total / 1048576:.0f} MB)")
PY
mkdir -p "$tmp/home"
export TZ=UTC HOME="$tmp/home" CLAUDE_CONFIG_DIR="$tmp/claude" CODEX_HOME="$tmp/codex"

# CPU seconds (user + system) are printed too: on a shared machine they move less with the load than wall time.
measure() { # label, command… -> appends "label seconds maxrss_kb cpu_seconds" to $tmp/times
  local label="$1"; shift
  /usr/bin/time -f "%e %M %U %S" -o "$tmp/one" "$@" > "$tmp/$label.out" 2> "$tmp/$label.err" || { echo "$label failed:"; cat "$tmp/$label.err"; exit 1; }
  read -r secs rss user sys < "$tmp/one"
  cpu="$(python3 -c "print(f'{$user + $sys:.2f}')")"
  echo "$label $secs $rss $cpu" >> "$tmp/times"
  printf '  %-14s %6.2f s  %5d MB  cpu %6.2f s\n' "$label" "$secs" "$((rss / 1024))" "$cpu"
}

echo "== warming the page cache (one untimed read of every file)"
cat $(find "$tmp/claude" "$tmp/codex" -type f) > /dev/null
echo "== $runs alternating runs (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
for i in $(seq 1 "$runs"); do
  rm -f "$tmp/cold.db" "$tmp/cold.db-wal" "$tmp/cold.db-shm"
  measure fleet-cold "$fleet" usage --by day --json --db "$tmp/cold.db"
  cp "$tmp/fleet-cold.out" "$tmp/fleet.json"
  if [[ -n "${BENCH_ALT_ENV:-}${BENCH_ALT_DLL:-}" ]]; then
    rm -f "$tmp/alt.db" "$tmp/alt.db-wal" "$tmp/alt.db-shm"
    # shellcheck disable=SC2086 # BENCH_ALT_ENV is a list of NAME=VALUE words
    measure fleet-cold-alt env ${BENCH_ALT_ENV:-} "${alt[@]}" usage --by day --json --db "$tmp/alt.db"
  fi
  measure ccusage "$ccusage" daily --offline --json
  measure fleet-warm "$fleet" usage --by day --json --db "$tmp/cold.db"
done

echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$tmp/times" "$tmp/fleet.json" "$tmp/ccusage.out" <<'PY'
import json, statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med, cpumed = {}, {}
for label in ["fleet-cold", "fleet-cold-alt", "fleet-warm", "ccusage"]:
    if not any(r[0] == label for r in rows):
        continue
    secs = [float(r[1]) for r in rows if r[0] == label]
    rss = [int(r[2]) for r in rows if r[0] == label]
    cpu = [float(r[3]) for r in rows if r[0] == label]
    med[label], cpumed[label] = statistics.median(secs), statistics.median(cpu)
    print(f"{label:<14} median {med[label]:6.2f} s   cpu median {cpumed[label]:6.2f} s   peak RSS max {max(rss) / 1024:6.0f} MB   runs {secs}  cpu {cpu}")
print(f"ratio fleet-cold / ccusage = {med['fleet-cold'] / med['ccusage']:.2f} (cpu {cpumed['fleet-cold'] / cpumed['ccusage']:.2f})   fleet-warm / ccusage = {med['fleet-warm'] / med['ccusage']:.2f} (cpu {cpumed['fleet-warm'] / cpumed['ccusage']:.2f})")
if "fleet-cold-alt" in med:
    print(f"ratio fleet-cold-alt / ccusage = {med['fleet-cold-alt'] / med['ccusage']:.2f} (cpu {cpumed['fleet-cold-alt'] / cpumed['ccusage']:.2f})")
f = json.load(open(sys.argv[2]))["totals"]
c = json.load(open(sys.argv[3]))["totals"]
print(f"totals fleet:   tokens {f['total_tokens']:,}  cost {f['cost_usd']:.4f}")
print(f"totals ccusage: tokens {c['totalTokens']:,}  cost {c['totalCost']:.4f}")
PY

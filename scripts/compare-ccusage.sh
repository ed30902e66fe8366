#!/usr/bin/env bash
# Runs `fleet usage --by day --json` and `ccusage daily --offline --json` (pinned, native binary) over the
# shared corpus and prints their totals side by side: tokens by kind and cost, per model, for the Claude
# files and for the Codex files. Exits 1 when any number differs by more than 0.1%.
#
# fleet reads the corpus in place (JSONL and the .chat.json array dumps alike). ccusage reads only JSONL
# files in ~/.claude/projects and ~/.codex/sessions layouts and skips symlinks, so the script lays out
# temporary copies for it (the .chat.json arrays converted with `jq -c '.[]'`), in a temp dir that is
# removed at the end. Days are UTC on both sides (TZ=UTC).
#
# usage: scripts/compare-ccusage.sh
# env:   FLEET_CORPUS_DIR  the corpus (default: <repo>/../shared/corpus)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus="${FLEET_CORPUS_DIR:-$repo/../shared/corpus}"
[[ -d "$corpus/claude" && -d "$corpus/codex" ]] || { echo "compare-ccusage: corpus not found at $corpus (set FLEET_CORPUS_DIR)" >&2; exit 2; }
command -v jq >/dev/null || { echo "compare-ccusage: jq is needed to lay out the .chat.json files for ccusage" >&2; exit 2; }

bash "$repo/scripts/install-npm-tools.sh" >/dev/null
ccusage="$repo/.tools/npm/node_modules/.bin/ccusage"

echo "== build fleet (Release)" >&2
dotnet build "$repo/src/Fleet.Cli/Fleet.Cli.csproj" -c Release --nologo -v quiet >&2
fleet=(dotnet "$repo/src/Fleet.Cli/bin/Release/net10.0/fleet.dll")

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/claude/projects/corpus" "$tmp/codex/sessions/2026/02/23"
for f in "$corpus"/claude/*.jsonl; do cp "$f" "$tmp/claude/projects/corpus/"; done
for f in "$corpus"/claude/*.chat.json; do jq -c '.[]' "$f" > "$tmp/claude/projects/corpus/$(basename "$f" .chat.json).jsonl"; done
for f in "$corpus"/codex/*.jsonl; do b="$(basename "$f")"; cp "$f" "$tmp/codex/sessions/2026/02/23/${b#*__}"; done

echo "== fleet usage --by day --json (corpus read in place)" >&2
TZ=UTC "${fleet[@]}" usage --by day --json --db "$tmp/fleet.db" --path "$corpus/claude" --path "$corpus/codex" > "$tmp/fleet.json"
echo "== ccusage daily --offline --json ($("$ccusage" --version))" >&2
TZ=UTC HOME="$tmp/home" CLAUDE_CONFIG_DIR="$tmp/claude" CODEX_HOME="$tmp/codex" "$ccusage" daily --offline --json > "$tmp/ccusage.json"

python3 - "$tmp/fleet.json" "$tmp/ccusage.json" <<'PY'
import json, sys
fleet = json.load(open(sys.argv[1]))
cc = json.load(open(sys.argv[2]))
kinds = ["input", "output", "cache_write", "cache_read", "cost"]

def provider(model):
    return "codex" if model.startswith(("gpt", "o1", "o3", "o4", "codex")) else "claude"

def add(acc, key, values):
    row = acc.setdefault(key, dict.fromkeys(kinds, 0.0))
    for k, v in zip(kinds, values):
        row[k] += v or 0

f_models, c_models, f_days, c_days = {}, {}, {}, {}
for row in fleet["rows"]:
    for m in row["models"]:
        v = [m["input_tokens"], m["output_tokens"], m["cache_creation_tokens"], m["cache_read_tokens"], m["cost_usd"]]
        add(f_models, (m["provider"], m["model"]), v)
        add(f_days, (m["provider"], row["key"], m["model"]), v)
for row in cc["daily"]:
    for m in row["modelBreakdowns"]:
        v = [m["inputTokens"], m["outputTokens"], m["cacheCreationTokens"], m["cacheReadTokens"], m["cost"]]
        p = provider(m["modelName"])
        add(c_models, (p, m["modelName"]), v)
        add(c_days, (p, row["period"], m["modelName"]), v)

def rel(a, b):
    return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))

worst = 0.0
for p in ["claude", "codex"]:
    print(f"\n{p.upper()} files: per model, fleet vs ccusage (relative difference)")
    print(f"{'model':<30} {'kind':<12} {'fleet':>16} {'ccusage':>16} {'diff':>9}")
    totals_f, totals_c = dict.fromkeys(kinds, 0.0), dict.fromkeys(kinds, 0.0)
    for key in sorted(set(k for k in f_models if k[0] == p) | set(k for k in c_models if k[0] == p)):
        a, b = f_models.get(key, dict.fromkeys(kinds, 0.0)), c_models.get(key, dict.fromkeys(kinds, 0.0))
        for k in kinds:
            d = rel(a[k], b[k]); worst = max(worst, d)
            totals_f[k] += a[k]; totals_c[k] += b[k]
            fmt = (lambda x: f"{x:,.6f}") if k == "cost" else (lambda x: f"{x:,.0f}")
            print(f"{key[1]:<30} {k:<12} {fmt(a[k]):>16} {fmt(b[k]):>16} {d:>8.4%}")
    for k in kinds:
        fmt = (lambda x: f"{x:,.6f}") if k == "cost" else (lambda x: f"{x:,.0f}")
        print(f"{'TOTAL ' + p:<30} {k:<12} {fmt(totals_f[k]):>16} {fmt(totals_c[k]):>16} {rel(totals_f[k], totals_c[k]):>8.4%}")

day_keys = set(f_days) | set(c_days)
day_diffs = [k for k in day_keys if any(rel(f_days.get(k, {}).get(x, 0), c_days.get(k, {}).get(x, 0)) > 0.001 for x in kinds)]
print(f"\nper (day, model) rows: {len(day_keys)} compared, {len(day_diffs)} differ by more than 0.1%")
for k in sorted(day_diffs):
    print("  differs:", k)
print(f"largest relative difference: {worst:.6%}")
ok = worst <= 0.001 and not day_diffs
print("RESULT:", "PASS (within 0.1%)" if ok else "FAIL (over 0.1%)")
sys.exit(0 if ok else 1)
PY

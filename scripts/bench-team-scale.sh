#!/usr/bin/env bash
# Team mode at scale: a rehearsed backlog of ISSUES issues (default 32) on a local forge, with the real claude
# (developer, SDET) and codex (reviewer) CLIs against fleet's rehearsal endpoint. The backlog has every kind:
#   independent issues (a file each), two bundles (3 issues on one file, 2 on another), dependencies (a chain of two
#   on an independent issue, one on a bundle, one on two independent issues) and one issue taken by someone else's
#   open pull request.
# It runs `fleet team plan --footprints` and `fleet team run --rehearse --wait` (with `--max-squads N` when
# BENCH_MAX_SQUADS is set; else the plan's bound holds), samples every second the squads running (a squad's journal
# has run_started and no run_ended) and the summed RSS of every process of the run (fleet, shims, agents: any process
# whose command line, folder or environment names the bench's temp dir), then checks every squad's outcome: approved
# (taken: never started), one squad and one pull request per bundle closing each member, each dependent's branch holds
# its needed branches and started after they ended, at most N squads at once (N: --max-squads, else the plan's
# max_squads, else the widest wave); then `fleet team merge` merges every pull request.
# Prints wall time, peak RSS, the most squads at once and the load average. Timing is informational; exit 1 when a
# check fails.
#
# usage: scripts/bench-team-scale.sh [ISSUES]   (at least 12; default 32)
# env:   BENCH_MAX_SQUADS=N   pass --max-squads N to team run (default: the plan's max_squads, from this machine)
#        BENCH_NO_BUILD=1     use the existing Release build        BENCH_KEEP=1 keep the temp dir
#        BENCH_FLEET_DLL=F    run this fleet.dll (a copy, so that a build meanwhile does not change it; implies BENCH_NO_BUILD)
set -euo pipefail
issues="${1:-32}"
(( issues >= 12 )) || { echo "bench-team-scale: ISSUES must be at least 12 (the fixed kinds take 10)" >&2; exit 2; }
max_squads="${BENCH_MAX_SQUADS:-}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fleet_dll="${BENCH_FLEET_DLL:-$repo/src/Fleet.Cli/bin/Release/net10.0/fleet.dll}"
# fleet finds the pinned CLIs beside a checkout's build; a copy elsewhere finds them on PATH.
export PATH="$repo/.tools/npm/node_modules/.bin:$PATH"

die() { echo "bench-team-scale: $*" >&2; exit 1; }
for tool in dotnet git python3; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
for cli in claude codex; do
    [[ -x "$repo/.tools/npm/node_modules/.bin/$cli" ]] || die "$cli is not installed: bash scripts/install-npm-tools.sh"
done
if [[ "${BENCH_NO_BUILD:-0}" != 1 && -z "${BENCH_FLEET_DLL:-}" ]]; then
    dotnet build "$repo/src/Fleet.Cli/Fleet.Cli.csproj" -c Release --nologo -v quiet >/dev/null || die "build failed"
fi
[[ -f "$fleet_dll" ]] || die "$fleet_dll not found (build src/Fleet.Cli -c Release)"
fleet() { dotnet "$fleet_dll" "$@"; }

work="$(mktemp -d /tmp/bench-team-scale.XXXXXX)"
sampler=""
cleanup() {
    [[ -n "$sampler" ]] && kill "$sampler" 2>/dev/null || true
    if [[ -d "$work/repo/.fleet/team/runs" ]]; then
        for run in "$work"/repo/.fleet/team/runs/*/; do (cd "$work/repo" && fleet team kill "$run" --force >/dev/null 2>&1) || true; done
    fi
    [[ "${BENCH_KEEP:-0}" == 1 ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
export FLEET_HOME="$work/home"

# The repository, its forge and the backlog (issues, footprints, the expected shape).
git init -q -b main "$work/repo"
git -C "$work/repo" -c user.name=bench -c user.email=bench@localhost commit -q --allow-empty -m "initial commit"
git -C "$work/repo" config user.name bench
git -C "$work/repo" config user.email bench@localhost
git -C "$work/repo" branch someone/else "$(git -C "$work/repo" commit-tree 'HEAD^{tree}' -p HEAD -m 'their work')"
mkdir -p "$work/forge/issues" "$work/forge/pulls"
python3 - "$issues" "$work" <<'EOF'
import json, sys
n, work = int(sys.argv[1]), sys.argv[2]
# The fixed kinds take the last 10 numbers; the rest are independent.
ind = n - 10
independent = list(range(1, ind + 1))
bundle_a, bundle_b = [ind + 1, ind + 2, ind + 3], [ind + 4, ind + 5]
chain1, chain2, on_bundle, on_two = ind + 6, ind + 7, ind + 8, ind + 9
taken = n
fp = {}
for i in independent: fp[i] = (["src/f%d.txt" % i], [])
for i in bundle_a: fp[i] = (["src/shared.txt"], [])
for i in bundle_b: fp[i] = (["docs/guide.md"], [])
fp[chain1] = (["src/chain1.txt"], [1])
fp[chain2] = (["src/chain2.txt"], [chain1])
fp[on_bundle] = (["src/on-bundle.txt"], [bundle_a[1]])
fp[on_two] = (["src/on-two.txt"], [2, 3])
for i in range(1, n + 1):
    json.dump({"title": "Issue %d" % i, "body": "Do thing %d." % i}, open("%s/forge/issues/%d.json" % (work, i), "w"))
json.dump({"title": "Their fix", "body": "Closes #%d\n" % taken, "head": "someone/else", "base": "main", "state": "open"},
          open("%s/forge/pulls/%d.json" % (work, n + 1), "w"))
json.dump({"footprints": [{"issue": i, "files": f, "folders": [], "migrations": [], "needs": d, "why": ""} for i, (f, d) in sorted(fp.items())]},
          open(work + "/footprints.json", "w"))
json.dump({"independent": independent, "bundles": [bundle_a, bundle_b], "needs": {str(k): fp[k][1] for k in (chain1, chain2, on_bundle, on_two)},
           "taken": taken}, open(work + "/expected.json", "w"))
EOF

cd "$work/repo"
echo "== team plan: $issues issues" >&2
fleet team plan --local-forge "$work/forge" --footprints "$work/footprints.json" --json >"$work/plan.json" 2>"$work/plan.err" \
    || { cat "$work/plan.err" >&2; die "team plan failed"; }
python3 -c 'import json, sys; p = json.load(open(sys.argv[1])); print("   waves:", " ".join(str(len(w["issues"])) for w in p["waves"]), "issues; bundles:", [b["issues"] for b in p.get("bundles", [])])' "$work/plan.json" >&2

run_args=(team run --rehearse --no-tmux --wait --json)
if [[ -n "$max_squads" ]]; then
    fleet team run --help 2>/dev/null | grep -q -- '--max-squads' || die "BENCH_MAX_SQUADS is set but this fleet's team run has no --max-squads"
    run_args+=(--max-squads "$max_squads")
fi

# The sampler: one line a second, "<seconds> <running squads> <rss kB> <processes>".
python3 - "$work" >"$work/samples.tsv" <<'EOF' &
import glob, os, sys, time
work = sys.argv[1].encode()
runs = sys.argv[1] + "/repo/.fleet/team/runs"
start = time.monotonic()
def running():
    count = 0
    for journal in glob.glob(runs + "/*/issue-*/.fleet/journal.jsonl"):
        try:
            text = open(journal, encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        if '"run_started"' in text and '"run_ended"' not in text:
            count += 1
    return count
def ours(pid):
    try:
        if work in open("/proc/%s/cmdline" % pid, "rb").read(): return True
        if os.readlink("/proc/%s/cwd" % pid).encode().startswith(work): return True
        return work in open("/proc/%s/environ" % pid, "rb").read()
    except OSError:
        return False
def rss(pid):
    try:
        for line in open("/proc/%s/status" % pid):
            if line.startswith("VmRSS:"): return int(line.split()[1])
    except OSError:
        pass
    return 0
while True:
    pids = [p for p in os.listdir("/proc") if p.isdigit() and p != str(os.getpid()) and ours(p)]
    print("%.1f %d %d %d" % (time.monotonic() - start, running(), sum(rss(p) for p in pids), len(pids)), flush=True)
    time.sleep(1)
EOF
sampler=$!

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== team run: ${run_args[*]} (load $load_before)" >&2
start_ns=$(date +%s%N)
set +e
fleet "${run_args[@]}" >"$work/result.json" 2>"$work/run.err"
run_code=$?
set -e
end_ns=$(date +%s%N)
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
sleep 1
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
sampler=""
[[ $run_code == 0 ]] || { tail -n 40 "$work/run.err" >&2; echo "bench-team-scale: team run exited $run_code" >&2; }

echo "== team merge" >&2
set +e
fleet team merge --json >"$work/merge.json" 2>"$work/merge.err"
merge_code=$?
set -e

python3 - "$work" "$issues" "$run_code" "$merge_code" "${max_squads:-}" "$(( (end_ns - start_ns) / 1000000 ))" "$load_before" "$load_after" <<'EOF'
import glob, json, os, subprocess, sys
work, issues, run_code, merge_code, max_squads, wall_ms, load_before, load_after = sys.argv[1:9]
expected = json.load(open(work + "/expected.json"))
plan = json.load(open(work + "/plan.json"))
failures = []
def check(ok, what):
    if not ok: failures.append(what)
def git(*args):
    return subprocess.run(["git", "-C", work + "/repo", *args], capture_output=True, text=True)

try:
    result = json.load(open(work + "/result.json"))
except ValueError:
    result = {"squads": []}
    failures.append("team run printed no result: see its stderr above")
squads = {s["issue"]: s for s in result["squads"]}
check(run_code == "0", "team run --wait exited %s, not 0" % run_code)
check(len(squads) == int(issues), "%d outcomes for %s issues" % (len(squads), issues))

# The plan: two bundles, the taken issue in no wave, each dependent in a later wave than what it needs.
wave_of = {i: w["wave"] for w in plan["waves"] for i in w["issues"]}
bundles = sorted(sorted(b["issues"]) for b in plan.get("bundles", []))
check(bundles == sorted(expected["bundles"]), "bundles %s, expected %s" % (bundles, expected["bundles"]))
check(expected["taken"] not in wave_of, "the taken issue is in a wave")

taken = squads.get(expected["taken"], {})
check(taken.get("status") == "taken", "#%d is %s, not taken" % (expected["taken"], taken.get("status")))
for n, s in squads.items():
    if n != expected["taken"]:
        check(s["status"] == "approved", "#%d is %s: %s" % (n, s["status"], s.get("reason")))

def journal(root):
    path = os.path.join(root, ".fleet", "journal.jsonl")
    return [json.loads(l) for l in open(path) if l.strip()] if os.path.exists(path) else []
def first_ts(root, kind):
    return next((e["ts"] for e in journal(root) if e.get("type") == kind), None)
def last_ts(root, kind):
    return next((e["ts"] for e in reversed(journal(root)) if e.get("type") == kind), None)

roots = {n: s.get("squad_root") for n, s in squads.items() if s.get("squad_root")}
for root in set(roots.values()):
    starts = sum(1 for e in journal(root) if e.get("type") == "run_started")
    check(starts == 1, "%s started %d times" % (root, starts))

# Bundles: one squad, one pull request closing each member.
for b in expected["bundles"]:
    check(len({roots.get(i) for i in b}) == 1, "bundle %s ran in %d squads" % (b, len({roots.get(i) for i in b})))
    prs = {squads.get(i, {}).get("pull_request") for i in b}
    check(len(prs) == 1 and None not in prs, "bundle %s has pull requests %s" % (b, prs))
    if len(prs) == 1 and None not in prs:
        body = json.load(open("%s/forge/pulls/%d.json" % (work, prs.pop())))["body"]
        check(body.startswith("".join("Closes #%d\n" % i for i in b)), "bundle %s: the pull request's body starts %r" % (b, body[:60]))

# Dependencies: a later wave, started after what it needs ended, its branch holds the needed branches.
lead = {i: min(b) for b in expected["bundles"] for i in b}
for dep, needs in expected["needs"].items():
    dep = int(dep)
    for need in needs:
        check(wave_of.get(dep, 0) > wave_of.get(need, 0), "#%d is not in a later wave than #%d" % (dep, need))
        if dep in roots and need in roots:
            started, ended = first_ts(roots[dep], "run_started"), last_ts(roots[need], "run_ended")
            check(started is not None and ended is not None and started > ended, "#%d started at %s, before #%d ended at %s" % (dep, started, need, ended))
        branch = "fleet/issue-%d" % lead.get(need, need)
        check(git("merge-base", "--is-ancestor", branch, "fleet/issue-%d" % dep).returncode == 0, "fleet/issue-%d does not hold %s" % (dep, branch))

# Concurrency, sampled.
samples = [l.split() for l in open(work + "/samples.tsv") if l.strip()]
peak_squads = max((int(s[1]) for s in samples), default=0)
peak_rss = max((int(s[2]) for s in samples), default=0)
peak_procs = max((int(s[3]) for s in samples), default=0)
widest = max(sum(1 for i in w["issues"] if lead.get(i, i) == i) for w in plan["waves"])
# The bound: --max-squads, else the plan's max_squads (team plan's default from this machine), else the widest wave.
bound = int(max_squads) if max_squads else plan.get("max_squads") or widest
check(0 < peak_squads <= bound, "%d squads ran at once (sampled), the bound is %d" % (peak_squads, bound))

# The merge: every pull request of the run merged, every issue but the taken one closed.
try:
    decisions = json.load(open(work + "/merge.json"))
except ValueError:
    decisions = []
refused = [d for d in decisions if d.get("action") != "merged"]
check(merge_code == "0" and not refused and decisions, "team merge exited %s; refused: %s" % (merge_code, [(d.get("pull_request"), d.get("reason")) for d in refused]))
for n in range(1, int(issues) + 1):
    state = json.load(open("%s/forge/issues/%d.json" % (work, n))).get("state", "open")
    check(state == ("open" if n == expected["taken"] else "closed"), "#%d is %s after the merge" % (n, state))

squad_count = len(set(roots.values()))
print("issues %s: %d squads in %d waves (widest %d), %d independent, bundles %s, dependents %s, taken #%d" % (
    issues, squad_count, len(plan["waves"]), widest, len(expected["independent"]), expected["bundles"], sorted(int(d) for d in expected["needs"]), expected["taken"]))
print("max squads: %s" % ("--max-squads " + max_squads if max_squads else "the plan's %s" % plan.get("max_squads", "(none: the widest wave)")))
print("wall %.1f s (team run --wait), samples %d" % (int(wall_ms) / 1000, len(samples)))
print("peak running squads (sampled each second): %d of at most %d" % (peak_squads, bound))
print("peak RSS of the run's processes: %.0f MB (%d processes at most)" % (peak_rss / 1024, peak_procs))
print("merged %d pull requests" % sum(1 for d in decisions if d.get("action") == "merged"))
print("load average before %s, after %s; %d cores" % (load_before, load_after, os.cpu_count()))
if failures:
    print("FAILED checks (%d):" % len(failures))
    for f in failures: print("  " + f)
    sys.exit(1)
print("every check passed")
EOF

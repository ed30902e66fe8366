#!/usr/bin/env bash
# The memory experiment on the flywheel (docs/flywheel.md, "Running the A/B honestly"): each arm on a fresh copy of
# examples/flywheel, the no-memory arm first. In each arm the same scenario: run 1 (a scripted person answers every
# gate), `fleet doctrine apply` of run 1's retro, run 2. The memory arm's run 2 carries the doctrine and the allow rule;
# the no-memory arm's (`--no-memory`) ignores them and asks the avoidable gates again. Ends with `fleet trend` over both
# copies (table and --json) and checks that both arms are there and that the no-memory arm asked again what the memory
# arm no longer asked. Real claude against the rehearsal endpoint: no API key, no model spend.
#
# usage: scripts/flywheel-arms.sh      env: FLEET_SKIP_BUILD=1 use the existing Release build   FLEET_KEEP=1 keep the temp dir
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .tools/npm/node_modules/.bin/claude ]] || { echo "flywheel-arms: claude is not installed: bash scripts/install-npm-tools.sh" >&2; exit 1; }
if [ "${FLEET_SKIP_BUILD:-}" != 1 ]; then
  echo "== build"
  dotnet build src/Fleet.Cli -c Release --nologo -v quiet
fi
fleet=(dotnet "$PWD/src/Fleet.Cli/bin/Release/net10.0/fleet.dll")

work="$(mktemp -d /tmp/flywheel-arms.XXXXXX)"
cleanup() {
  for root in "$work/no-memory" "$work/memory"; do [ -d "$root/.fleet" ] && "${fleet[@]}" kill "$root" --force >/dev/null 2>&1 || true; done
  if [ "${FLEET_KEEP:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
export FLEET_HOME="$work/home"
. scripts/flywheel-person.sh

# arm NAME [LAUNCH OPTION...]: the scenario on a fresh copy at $work/NAME.
arm() {
  local name=$1 root="$work/$1" run1 start
  shift
  cp -r examples/flywheel "$root"
  mkdir -p "$root/build"
  start=$(date +%s)
  echo "== $name arm, run 1"
  "${fleet[@]}" launch "$root" --rehearse --no-tmux "$@"
  person "$root" approve
  run1=$("${fleet[@]}" status "$root" --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).run)')
  "${fleet[@]}" doctrine apply "$root" --run "$run1" >/dev/null
  mkdir -p "$root/build"
  echo "== $name arm, run 2"
  "${fleet[@]}" launch "$root" --rehearse --no-tmux "$@"
  person "$root" deny
  echo "-- $name arm: $(( $(date +%s) - start )) s"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
arm no-memory --no-memory
arm memory
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== fleet trend $work/no-memory $work/memory"
"${fleet[@]}" trend "$work/no-memory" "$work/memory"
"${fleet[@]}" trend "$work/no-memory" "$work/memory" --json >"$work/trend.json"
node -e '
  const rows = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const arm = a => rows.filter(r => r.arm === a);
  const [memory, none] = [arm("memory"), arm("no-memory")];
  const show = (name, rs) => console.log(`${name}: interventions per run ${rs.map(r => r.interventions).join(", ")}; run 2 gates by class ${JSON.stringify(rs[1] && rs[1].gates_by_class)}`);
  show("memory arm   ", memory);
  show("no-memory arm", none);
  const fail = m => { console.error("FAILED: " + m); process.exit(1); };
  if (memory.length !== 2 || none.length !== 2) fail(`expected two runs of each arm, got ${memory.length} memory and ${none.length} no-memory`);
  if (none[1].interventions !== none[0].interventions) fail("the no-memory arm did not ask its run-1 gates again");
  if (!(memory[1].interventions < none[1].interventions)) fail("the memory arm did not ask fewer gates than the no-memory arm in run 2");
  console.log("both arms are in the trend; the no-memory arm asked the avoidable gates again");
' "$work/trend.json"

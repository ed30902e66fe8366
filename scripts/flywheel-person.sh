# Sourced by the flywheel scripts: the scripted person of examples/flywheel.
# person ROOT DESTRUCTIVE answers each open gate of the fleet at ROOT as the scenario scripts it (the set-up question:
# staging; npm test: approve; rm -rf build: DESTRUCTIVE, approve or deny) until the run has ended and nothing is open,
# then prints how many gates it answered. Needs the caller's `fleet` array (the command that runs fleet).
person() {
  local root=$1 destructive=$2 answered=0 state
  while :; do
    while IFS=$'\t' read -r id kind summary; do
      [ -n "$id" ] || continue
      case "$kind|$summary" in
        "question|Which environment should the smoke tests run against?") "${fleet[@]}" answer "$root" "$id" staging ;;
        "permission|npm test") "${fleet[@]}" approve "$root" "$id" ;;
        "permission|rm -rf build")
          if [ "$destructive" = approve ]; then "${fleet[@]}" approve "$root" "$id"
          else "${fleet[@]}" deny "$root" "$id" --message "Keep the build."; fi ;;
        *) echo "unexpected gate $id: $kind $summary" >&2; return 1 ;;
      esac
      answered=$((answered + 1))
    done < <("${fleet[@]}" inbox "$root" --json | node -e '
      const gates = JSON.parse(require("fs").readFileSync(0, "utf8"));
      for (const g of gates) if (g.state === "open") console.log([g.gate, g.kind, g.summary].join("\t"));')
    state=$("${fleet[@]}" status "$root" --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).state)')
    case "$state" in
      running|"orchestrator not running") sleep 0.5 ;;
      *) [ -z "$("${fleet[@]}" inbox "$root" --json | node -e '
            const g = JSON.parse(require("fs").readFileSync(0, "utf8")).filter(x => x.state === "open"); if (g.length) console.log(g.length)')" ] && break ;;
    esac
  done
  echo "-- the run ended ($state); the person answered $answered gates"
}

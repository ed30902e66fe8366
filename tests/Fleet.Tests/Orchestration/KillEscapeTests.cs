using System.Diagnostics;
using System.Globalization;
using Fleet.Orchestration;
using Fleet.Processes;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Processes;
using Fleet.Workers;

namespace Fleet.Tests.Orchestration;

/// <summary>
/// <c>fleet kill</c> against agents that try to escape it: real fleets whose command workers detach processes in ten
/// different ways. Every escapee writes its own pid to <c>pids/&lt;worker&gt;.&lt;pattern&gt;</c>; after the kill none
/// of them may live, and no live process may carry a token of the fleet.
/// </summary>
public class KillEscapeTests
{
    /// <summary>The kill's safety limit: it must return well before a person gives up on it.</summary>
    private static readonly TimeSpan KillLimit = TimeSpan.FromSeconds(10);

    // $0 is the fleet root, $2 the worker (FleetRun.Sh); E is an escapee that writes its pid to the file named.
    private static string E(string pattern, string extra = "") => $"sh \"$0/escapee.sh\" \"$0/pids/$2.{pattern}\"{extra}";

    /// <summary>Escapes started by an agent that stays running.</summary>
    private static readonly (string Pattern, string Script)[] WhileRunning =
    [
        ("setsid", $"setsid {E("setsid")} &"),
        ("double-fork-setsid", $"( setsid {E("double-fork-setsid")} & )"),
        ("python-daemon", "python3 \"$0/daemon.py\" \"$0/pids/$2.python-daemon\""),
        ("ignores-int-term", $"{E("ignores-int-term", " ignore")} &"),
        ("nohup", $"nohup {E("nohup")} >/dev/null 2>&1 &"),
        // tmux's #{pid} is spelled without a brace pair in the text: fleet.json takes {name} for a placeholder.
        ("tmux-pane", "o=$(printf '\\173'); env -u TMUX tmux -S \"$0/tmux-$2.sock\" -f /dev/null new-session -d \"sh $0/escapee.sh $0/pids/$2.tmux-pane\" && env -u TMUX tmux -S \"$0/tmux-$2.sock\" display-message -p \"#$o\"'pid}' > \"$0/pids/$2.tmux-server.tmp\" && mv \"$0/pids/$2.tmux-server.tmp\" \"$0/pids/$2.tmux-server\""),
        ("new-group-no-stdio", "python3 \"$0/newgroup.py\" \"$0/pids/$2.new-group-no-stdio\" &"),
        ("orphan", $"sh -c 'sh \"$1\" \"$2\" & exit 0' sh \"$0/escapee.sh\" \"$0/pids/$2.orphan\""),
    ];

    /// <summary>Escapes started by an agent that then exits: its shim ends too, and only the token still names them.</summary>
    private static readonly (string Pattern, string Script)[] ThenExit =
    [
        ("setsid-f", $"setsid -f {E("setsid-f")}"),
        ("bash-disown", "bash -c 'sh \"$1\" \"$2\" & disown' bash \"$0/escapee.sh\" \"$0/pids/$2.bash-disown\""),
    ];

    private const string Escapee = """
        # Writes its pid (atomically) to $1, then sleeps; "ignore" as $2 makes it (and the exec'd sleep) ignore SIGINT and SIGTERM.
        [ "$2" = ignore ] && trap '' INT TERM
        echo $$ > "$1.tmp" && mv "$1.tmp" "$1"
        exec sleep 1000
        """;

    private const string Daemon = """
        # The classic daemon: fork, setsid, fork again, chdir /, stdio to /dev/null, other descriptors closed.
        import os, sys, time
        if os.fork() > 0:
            os._exit(0)
        os.setsid()
        if os.fork() > 0:
            os._exit(0)
        os.chdir("/")
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, 1024)
        path = sys.argv[1]
        with open(path + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(path + ".tmp", path)
        time.sleep(1000)
        """;

    private const string NewGroup = """
        # Leaves the agent's process group and closes its stdio (no pipe ties it to the shim any more).
        import os, sys, time
        os.setpgid(0, 0)
        path = sys.argv[1]
        with open(path + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(path + ".tmp", path)
        for fd in (0, 1, 2):
            os.close(fd)
        time.sleep(1000)
        """;

    /// <summary>An orphan that ends on its own while the shim lives: the shim (its new parent) must reap it.</summary>
    private const string ShortLivedOrphan = "( setsid sh -c 'echo \"$$ $(cut -d\" \" -f22 /proc/$$/stat)\" > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"; sleep 1' sh \"$0/reaped/$2\" & )";

    private static string[] Expected(string worker, IEnumerable<(string Pattern, string Script)> patterns) =>
        [.. patterns.SelectMany(p => p.Pattern == "tmux-pane" ? new[] { "tmux-pane", "tmux-server" } : [p.Pattern]).Select(p => $"{worker}.{p}")];

    private static string Script(IEnumerable<(string Pattern, string Script)> patterns, string tail) =>
        "mkdir -p \"$0/pids\" \"$0/reaped\"\n" + string.Join('\n', patterns.Select(p => p.Script)) + "\n" + tail;

    private static FleetRun EscapingFleet(string name, bool withBystander = false)
    {
        var stays = FleetRun.Sh(Script([.. WhileRunning], ShortLivedOrphan + "\nexec sleep 1000"));
        var leaves = FleetRun.Sh(Script([.. ThenExit], "exit 0"));
        var bystander = FleetRun.Sh(Script([("bystander", $"{E("bystander")} &")], "exec sleep 1000"));
        var run = new FleetRun($$"""
            { "fleet_name": "{{name}}", "type": "dag", "config": { "provider": "command", "max_concurrent": 3 }, "workers": [
              { "id": "stays", "type": "code-run", "command": {{stays}} },
              { "id": "leaves", "type": "code-run", "command": {{leaves}} }{{(withBystander ? $$""", { "id": "bystander", "type": "code-run", "command": {{bystander}} }""" : "")}} ] }
            """);
        run.Dir.Write("fleet/escapee.sh", Escapee);
        run.Dir.Write("fleet/daemon.py", Daemon);
        run.Dir.Write("fleet/newgroup.py", NewGroup);
        return run;
    }

    private static readonly string[] AllEscapees = [.. Expected("stays", WhileRunning), .. Expected("leaves", ThenExit)];

    [Fact]
    public async Task Kill_all_force_leaves_no_escapee_alive_and_returns_within_ten_seconds()
    {
        await using var run = EscapingFleet("escapes-force");
        await LaunchAsync(run);
        var escapees = await WaitForEscapeesAsync(run, AllEscapees);
        await AssertOrphansReparentToTheShimAndAreReapedAsync(run);

        var elapsed = await KillAsync(run, "kill", run.Root, "all", "--force");

        AssertNoSurvivors(run, escapees);
        elapsed.ShouldBeLessThan(KillLimit);
        run.State.Ended!.Outcome.ShouldBe("killed");
    }

    [Fact]
    public async Task Kill_all_with_the_signal_ladder_ends_even_escapees_that_ignore_sigint_and_sigterm_within_ten_seconds()
    {
        await using var run = EscapingFleet("escapes-ladder");
        await LaunchAsync(run);
        var escapees = await WaitForEscapeesAsync(run, AllEscapees);

        var (elapsed, output) = await KillWithOutputAsync(run, "kill", run.Root, "all", "--json");

        AssertNoSurvivors(run, escapees);
        elapsed.ShouldBeLessThan(KillLimit);

        // The ignoring escapee lives in "stays": only SIGKILL ended that worker; "leaves" had nothing that resisted.
        output.ShouldContain("stopped (SIGKILL)");
        run.Journal.ShouldContain(e => e.Type == JournalTypes.Killed && e.Worker == "stays");
        run.Journal.ShouldContain(e => e.Type == JournalTypes.Killed && e.Worker == "leaves");
    }

    [Fact]
    public async Task Killing_one_worker_ends_all_its_escapees_and_nothing_of_the_other_workers()
    {
        await using var run = EscapingFleet("escapes-one", withBystander: true);
        await LaunchAsync(run);
        var escapees = await WaitForEscapeesAsync(run, [.. AllEscapees, "bystander.bystander"]);
        var bystanderAgent = WorkerClaim.TryRead(Path.Combine(run.Root, "iterations", "1"), "bystander")!.Agent!;

        var elapsed = await KillAsync(run, "kill", run.Root, "stays", "--force");
        var elapsedLeaves = await KillAsync(run, "kill", run.Root, "leaves");

        AssertNoSurvivors(run, escapees.Where(e => !e.Key.StartsWith("bystander.", StringComparison.Ordinal)).ToDictionary(), workers: ["stays", "leaves"]);
        escapees["bystander.bystander"].IsAlive.ShouldBeTrue("the bystander's escapee was killed with another worker");
        bystanderAgent.IsAlive.ShouldBeTrue("the bystander's agent was killed with another worker");
        OrchestratorInfo.Running(run.Layout).ShouldNotBeNull("a single worker's kill stopped the orchestrator");
        elapsed.ShouldBeLessThan(KillLimit);
        elapsedLeaves.ShouldBeLessThan(KillLimit);
    }

    [Fact]
    public async Task Kill_returns_within_ten_seconds_where_pid_1_never_reaps_and_leaves_only_zombies()
    {
        // The whole fleet runs in a PID namespace whose init (PID 1) never calls wait: every process of the fleet that
        // dies after its parent stays a zombie there. The kill runs inside too, as `fleet kill` would in such a container.
        using var ns = new TempDir("fleet-ns-");
        await using var run = EscapingFleet("escapes-ns");
        var init = ns.Write("init.py", """
            import os, sys, time
            # PID 1 that never waits: it starts the scenario and sleeps until told to stop (which ends the namespace).
            done = sys.argv[1]
            if os.fork() == 0:
                os.execvp(sys.argv[2], sys.argv[2:])
            while not os.path.exists(done):
                time.sleep(0.1)
            """);
        var fleet = string.Join(' ', RepoPaths.FleetArgv.Select(a => $"'{a}'"));
        var pidFiles = string.Join(' ', AllEscapees.Select(e => $"\"$R/pids/{e}\""));
        var scenario = ns.Write("scenario.sh", $$"""
            R='{{run.Root}}'; O='{{ns.Path}}'
            {{fleet}} launch "$R" --no-tmux > "$O/launch.out" 2>&1
            for i in $(seq 1 1200); do ok=1; for f in {{pidFiles}}; do [ -s "$f" ] || ok=0; done; [ $ok = 1 ] && break; sleep 0.1; done
            start=$(date +%s%N)
            {{fleet}} kill --help > /dev/null 2>&1
            echo $(( ($(date +%s%N) - start) / 1000000 )) > "$O/start.ms"
            start=$(date +%s%N)
            {{fleet}} kill "$R" all --force > "$O/kill.out" 2>&1; echo $? > "$O/kill.code"
            echo $(( ($(date +%s%N) - start) / 1000000 )) > "$O/kill.ms"
            for f in {{pidFiles}}; do p=$(cat "$f"); s=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1); [ -n "$s" ] && [ "$s" != Z ] && echo "$f $p $s" >> "$O/survivors"; done
            grep -l '^[0-9]* ([^)]*) Z' /proc/[0-9]*/stat 2>/dev/null | wc -l > "$O/zombies"
            touch "$O/scenario.done"
            """);
        var psi = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["--fork", "--pid", "--mount-proc", "--kill-child", "python3", init, ns.Combine("stop"), "sh", scenario])
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["FLEET_HOME"] = Path.Combine(run.Dir.Path, ".fleet-home");
        psi.Environment["FLEET_COMMAND"] = RepoPaths.FleetCommand;
        using var unshare = Process.Start(psi)!;
        try
        {
            var deadline = Stopwatch.GetTimestamp();
            while (!File.Exists(ns.Combine("scenario.done")) && !unshare.HasExited && Stopwatch.GetElapsedTime(deadline) < TestTimeouts.Slow)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            File.Exists(ns.Combine("scenario.done")).ShouldBeTrue($"the scenario did not finish; launch: {(File.Exists(ns.Combine("launch.out")) ? File.ReadAllText(ns.Combine("launch.out")) : "not run")}");
            var killOutput = File.ReadAllText(ns.Combine("kill.out"));
            File.ReadAllText(ns.Combine("kill.code")).Trim().ShouldBe("0", killOutput);
            File.Exists(ns.Combine("survivors")).ShouldBeFalse($"escapees survived: {(File.Exists(ns.Combine("survivors")) ? File.ReadAllText(ns.Combine("survivors")) : "")}");
            int.Parse(File.ReadAllText(ns.Combine("zombies")).Trim(), CultureInfo.InvariantCulture).ShouldBeGreaterThan(0, "no zombie was left, so this did not test a PID 1 that never reaps");
            // The kill runs here as a new CLI process, whose start on a loaded machine is not the kill's work: the time of
            // `fleet kill --help` just before is taken off.
            var killMs = int.Parse(File.ReadAllText(ns.Combine("kill.ms")).Trim(), CultureInfo.InvariantCulture);
            var startMs = int.Parse(File.ReadAllText(ns.Combine("start.ms")).Trim(), CultureInfo.InvariantCulture);
            TestContext.Current.TestOutputHelper?.WriteLine($"fleet kill --force in the namespace: {killMs} ms, of which the CLI's start (fleet kill --help) {startMs} ms\n{killOutput}");
            TimeSpan.FromMilliseconds(killMs - startMs).ShouldBeLessThan(KillLimit, killOutput);
            LiveTokenCarriers(run).ShouldBeEmpty();
        }
        finally
        {
            // PID 1 exits, which ends every process left in the namespace.
            File.WriteAllText(ns.Combine("stop"), "");
            if (!unshare.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                unshare.Kill();
            }

            // The claims and the orchestrator file hold the namespace's pids, which name other processes out here:
            // the run's own clean-up kill must not read them.
            foreach (var dir in (string[])[Path.Combine(run.Root, "iterations"), run.Layout.StateDir])
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        }
    }

    private static async Task LaunchAsync(FleetRun run)
    {
        var (code, console) = await run.FleetAsync("launch", run.Root, "--no-tmux");
        code.ShouldBe(0, console.Stderr);
    }

    private static async Task<Dictionary<string, ProcessIdentity>> WaitForEscapeesAsync(FleetRun run, string[] names)
    {
        var pids = Path.Combine(run.Root, "pids");
        await run.WaitForAsync(_ => names.All(n => File.Exists(Path.Combine(pids, n))));

        // Each escapee wrote its pid and exec'd sleep (same pid, same start time) or sleeps itself: capture it now.
        var identities = names.ToDictionary(n => n, n => ProcessIdentity.TryCapture(int.Parse(File.ReadAllText(Path.Combine(pids, n)).Trim(), CultureInfo.InvariantCulture)));
        identities.Where(i => i.Value is null || !i.Value.IsAlive).Select(i => i.Key).ShouldBeEmpty("escapees ended before the kill");
        return identities.ToDictionary(i => i.Key, i => i.Value!);
    }

    private static async Task AssertOrphansReparentToTheShimAndAreReapedAsync(FleetRun run)
    {
        var claim = WorkerClaim.TryRead(Path.Combine(run.Root, "iterations", "1"), "stays")!;
        var daemon = int.Parse(File.ReadAllText(Path.Combine(run.Root, "pids", "stays.double-fork-setsid")).Trim(), CultureInfo.InvariantCulture);
        ProcStat.TryRead(daemon)!.ParentPid.ShouldBe(claim.ShimPid, "a double-forked orphan was not reparented to the shim (the child subreaper)");

        var reaped = Path.Combine(run.Root, "reaped", "stays");
        await Eventually.TrueAsync(() => File.Exists(reaped), "the short-lived orphan wrote its pid");
        var fields = File.ReadAllText(reaped).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var orphan = new ProcessIdentity(int.Parse(fields[0], CultureInfo.InvariantCulture), ulong.Parse(fields[1], CultureInfo.InvariantCulture));

        // Gone from /proc altogether, not a zombie: its new parent, the shim, reaped it.
        await Eventually.TrueAsync(() => ProcStat.TryRead(orphan.Pid) is not { } stat || stat.StartTime != orphan.StartTime, "the shim reaped the orphan that ended");
    }

    private static async Task<TimeSpan> KillAsync(FleetRun run, params string[] args) => (await KillWithOutputAsync(run, args)).Elapsed;

    private static async Task<(TimeSpan Elapsed, string Output)> KillWithOutputAsync(FleetRun run, params string[] args)
    {
        var started = Stopwatch.GetTimestamp();
        var (code, console) = await run.FleetAsync(args).SlowTimeout();
        var elapsed = Stopwatch.GetElapsedTime(started);
        TestContext.Current.TestOutputHelper?.WriteLine($"fleet {string.Join(' ', args)}: {elapsed.TotalMilliseconds:F0} ms\n{console.Stdout}{console.Stderr}");
        code.ShouldBe(0, console.Stderr);
        return (elapsed, console.Stdout);
    }

    private static void AssertNoSurvivors(FleetRun run, IReadOnlyDictionary<string, ProcessIdentity> escapees, string[]? workers = null)
    {
        escapees.Where(e => e.Value.IsAlive).Select(e => $"{e.Key} (pid {e.Value.Pid})").ShouldBeEmpty("escapees survived the kill");
        LiveTokenCarriers(run, workers).ShouldBeEmpty("processes carrying the fleet's tokens survived the kill");
    }

    /// <summary>Live processes whose environment carries a token of this fleet's workers (all, or those named).</summary>
    private static List<string> LiveTokenCarriers(FleetRun run, string[]? workers = null)
    {
        var tokens = FleetKiller.Claims(run.Layout)
            .Where(c => workers is null || workers.Contains(c.Worker))
            .Select(c => WorkerClaim.TryRead(c.IterationDir, c.Worker)?.Token)
            .OfType<string>()
            .ToHashSet();
        tokens.ShouldNotBeEmpty();
        var table = ProcessTable.Capture();
        return [.. table.ValuesOf(WorkerToken.Variable).Where(t => tokens.Contains(t.Value)).Select(t => $"pid {t.Key} ({table.Processes.First(p => p.Pid == t.Key).Command})")];
    }
}

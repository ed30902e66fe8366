using System.CommandLine;
using System.Globalization;
using System.Text;
using Fleet.Cli.Hosting;
using Fleet.Gates.Inbox;
using Fleet.Orchestration;
using Fleet.Orchestration.Spawning;
using Fleet.Paths;
using Fleet.Processes;
using Fleet.State;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet status</c>, <c>ls</c>, <c>pause</c>, <c>resume</c> and <c>kill</c>: they read the journal and files, so they work without the orchestrator.</summary>
internal static class RunControlCommands
{
    public static Command Status(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("status", "Where a fleet stands: state, iteration, verdicts, each worker, spend against the cap, why it stopped.") { root, json };
        command.SetAction(async (parse, _) =>
        {
            var layout = Layout(console, parse.GetValue(root)!);
            var status = FleetStatus.Read(layout.Root, TimeProvider.System);
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, ToJson(status), RunJsonContext.Default.StatusJson);
            }
            else
            {
                await console.Out.WriteAsync(Render(status));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Ls(ICliConsole console)
    {
        var json = CommandHelpers.JsonOption();
        var command = new Command("ls", "All fleets launched on this machine by this user, with where each stands.") { json };
        command.SetAction(async (parse, _) =>
        {
            var entries = new FleetRegistry(new UserDirs(console.GetEnvironmentVariable)).List();
            var rows = entries.Select(e => Directory.Exists(e.Root)
                ? ToJson(FleetStatus.Read(e.Root, TimeProvider.System))
                : new StatusJson(e.Root, e.Name, null, null, "missing (the folder is gone)", 0, null, [], [], 0m, null, null, null, null)).ToList();
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, rows, RunJsonContext.Default.ListStatusJson);
                return ExitCodes.Success;
            }

            if (rows.Count == 0)
            {
                await console.Out.WriteLineAsync("no fleets launched yet (fleet launch ROOT starts one)");
                return ExitCodes.Success;
            }

            var width = Math.Max(4, rows.Max(r => r.Name.Length));
            var stateWidth = Math.Max(5, rows.Max(r => r.State.Length));
            await console.Out.WriteLineAsync($"{"NAME".PadRight(width)}  {"STATE".PadRight(stateWidth)}  ITER  SPENT     ROOT");
            foreach (var r in rows)
            {
                await console.Out.WriteLineAsync($"{r.Name.PadRight(width)}  {r.State.PadRight(stateWidth)}  {r.Iteration,4}  {Money(r.SpentUsd),-8}  {r.Root}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Pause(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var command = new Command("pause", "Stop the fleet at the next iteration boundary (running workers finish; nothing is killed).") { root };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var layout = Layout(console, parse.GetValue(root)!);
            var state = FleetRuns.Load(layout);
            if (state.RunId is null || state.Ended is not null)
            {
                throw new CliException($"{parse.GetValue(root)} has no running fleet to pause");
            }

            await File.WriteAllTextAsync(layout.PausedFile, $"paused by a person at {DateTimeOffset.UtcNow:O}\n", cancellationToken);
            await console.Out.WriteLineAsync($"pausing: the fleet stops after iteration {Math.Max(1, state.Iteration)} ends (running workers finish); resume with: fleet resume {parse.GetValue(root)}");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Resume(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var wait = new Option<bool>("--wait") { Description = "Follow the run to its end and exit with its outcome." };
        var command = new Command("resume", "Go on after a pause or an escalation, or continue limited workers without waiting for the reset; restarts the orchestrator if it is not running.") { root, wait };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var displayRoot = parse.GetValue(root)!;
            var layout = Layout(console, displayRoot);
            if (FleetRuns.JournalProblem(layout) is { } problem)
            {
                throw new CliException($"{problem}; the run cannot be resumed from it: start a new run with fleet launch {displayRoot}");
            }

            if (FleetRuns.Load(layout).RunId is null)
            {
                throw new CliException($"{displayRoot} was never launched: fleet launch {displayRoot}");
            }

            var run = await ResumeAsync(console, layout, displayRoot, cancellationToken);
            return parse.GetValue(wait) ? await RunFollower.FollowAsync(console, layout, run, TimeProvider.System, cancellationToken) : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// The run going on again; its id. As a launch does, it holds the root's <see cref="LaunchLock"/> from its look at the
    /// run's state until the orchestrator it starts has taken over, so no other launch or resume of the root acts meanwhile.
    /// </summary>
    private static async Task<string> ResumeAsync(ICliConsole console, FleetLayout layout, string displayRoot, CancellationToken cancellationToken)
    {
        using var launchLock = await FleetProcesses.TakeLaunchLockAsync(layout, FleetRuns.Load(layout).FleetName ?? Path.GetFileName(layout.Root), "resume", displayRoot, TimeProvider.System, cancellationToken);
        var state = FleetRuns.Load(layout);
        if (state.Ended is { } ended)
        {
            throw new CliException($"the run {state.RunId} has ended ({ended.Outcome}: {ended.Reason}); start a new one with fleet launch {displayRoot}");
        }

        File.Delete(layout.PausedFile);
        var limited = state.InIteration(Math.Max(1, state.Iteration)).Where(w => w.Status == WorkerStatus.Limited).Select(w => w.Worker).ToList();
        if (limited.Count > 0)
        {
            // The orchestrator (this one, or the one started below) continues them at once instead of waiting for the reset.
            PrivateFiles.CreateDirectory(layout.StateDir);
            await PrivateFiles.WriteAllTextAsync(layout.ContinueNowFile, string.Join('\n', limited) + "\n", cancellationToken);
            await console.Out.WriteLineAsync($"continuing now (not waiting for the limit's reset): {string.Join(", ", limited)}");
        }

        if (state.Paused)
        {
            await new Journal(layout.JournalFile, TimeProvider.System).AppendAsync(new JournalEntry { Type = JournalTypes.Resumed, Run = state.RunId, Reason = "resumed by a person" }, cancellationToken);

            // A paused run's orchestrator has finished its work and is on its way out: let it go, then start anew.
            await FleetProcesses.WaitForOrchestratorExitAsync(layout, cancellationToken);
        }

        if (OrchestratorInfo.Running(layout) is { } running)
        {
            await console.Out.WriteLineAsync($"resumed: the orchestrator (pid {running.Pid}) goes on");
        }
        else
        {
            var info = await FleetProcesses.StartOrchestratorAsync(console, layout, rehearse: false, TimeProvider.System, cancellationToken);
            await console.Out.WriteLineAsync($"resumed: orchestrator started (pid {info.Pid}); status: fleet status {displayRoot}");
        }

        return state.RunId!;
    }

    public static Command Kill(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var target = new Argument<string>("WORKER") { Description = "A worker id, or all (the default): the orchestrator, every worker, the tmux session.", DefaultValueFactory = _ => "all" };
        var force = new Option<bool>("--force") { Description = "SIGKILL at once instead of SIGINT, then SIGTERM, then SIGKILL." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("kill", "A person's hard stop: stops the orchestrator and every process the workers started, however they detached.") { root, target, force, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var displayRoot = parse.GetValue(root)!;
            var layout = Layout(console, displayRoot);
            var worker = parse.GetValue(target) is "all" ? null : parse.GetValue(target);
            if (worker is not null && FleetRuns.Load(layout).Workers.All(w => w.Worker != worker) && FleetKiller.Claims(layout).All(c => c.Worker != worker))
            {
                throw new CliException($"no worker \"{worker}\" has run in {displayRoot}");
            }

            // Short enough that the whole kill, orchestrator included, ends within about 10 s even when every process ignores SIGINT and SIGTERM.
            var ladder = new StopLadder(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
            var actions = await FleetKiller.KillAsync(layout, worker, parse.GetValue(force), ladder, TimeProvider.System, cancellationToken);
            if (worker is null)
            {
                if (FleetRuns.Load(layout).FleetName is { } name)
                {
                    // The windows stay open after their workers end (remain-on-exit): a kill closes them too. Only this
                    // root's session: a server shared through FLEET_TMUX_SOCKET may hold other fleets' sessions.
                    var session = TmuxSession.ForFleet(name, layout.Root, console.GetEnvironmentVariable(TmuxServer.SocketVariable));
                    if (await session.KillAsync(cancellationToken))
                    {
                        actions = [.. actions, new KillAction($"tmux session {session.Name}", "closed")];
                    }

                    if (!(await session.Server.RunAsync(["list-sessions"], cancellationToken)).Succeeded)
                    {
                        await session.Server.KillServerAsync(cancellationToken);
                    }
                }

                new FleetRegistry(new UserDirs(console.GetEnvironmentVariable)).Unregister(layout.Root);
            }

            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, [.. actions.Select(a => new KillActionJson(a.What, a.Result))], RunJsonContext.Default.ListKillActionJson);
            }
            else
            {
                foreach (var action in actions)
                {
                    await console.Out.WriteLineAsync($"{action.What}: {action.Result}");
                }

                await console.Out.WriteLineAsync(actions.Count == 0 ? "nothing was running" : worker is null ? "fleet killed" : $"{worker} killed");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    internal static string Render(FleetStatus s)
    {
        var w = new StringBuilder();
        var iteration = s.MaxIterations is { } max ? $"iteration {s.Iteration} of at most {max}" : $"iteration {s.Iteration}";
        w.AppendLine(CultureInfo.InvariantCulture, $"fleet \"{s.Name}\"{(s.Type is null ? "" : $" ({s.Type})")}{(s.RunId is null ? "" : $", run {s.RunId}")}: {s.State}{(s.RunId is null ? "" : $", {iteration}")}");
        foreach (var warning in s.Warnings)
        {
            w.AppendLine(CultureInfo.InvariantCulture, $"warning: {warning}");
        }

        if (s.RunId is null)
        {
            if (s.Why is { } problem)
            {
                w.AppendLine(CultureInfo.InvariantCulture, $"why: {problem}");
            }

            return w.ToString();
        }

        foreach (var gate in s.NeedsYou)
        {
            w.AppendLine(GateText.NeedsYou(gate, s.Root, s.ReadAt));
        }

        w.AppendLine(CultureInfo.InvariantCulture, $"orchestrator: {(s.OrchestratorPid is { } pid ? $"running (pid {pid})" : "not running")}; workers: {s.SpawnMode}");
        w.AppendLine(CultureInfo.InvariantCulture, $"spend: {Money(s.Spent)}{(s.CostCapUsd is { } cap ? $" of {Money(cap)} cap" : "")}");
        foreach (var v in s.Verdicts)
        {
            w.AppendLine(CultureInfo.InvariantCulture, $"verdict {v.Iteration}: {v.Verdict}{(v.Source == "review.md" ? "" : $" ({v.Source})")}{(v.Reason is null ? "" : $" — {FirstLine(v.Reason)}")}");
        }

        w.AppendLine(CultureInfo.InvariantCulture, $"workers (iteration {Math.Max(1, s.Iteration)}):");
        var width = s.Workers.Count == 0 ? 6 : s.Workers.Max(x => x.Worker.Length);
        foreach (var x in s.Workers)
        {
            var duration = x.DurationSeconds is { } d ? $"{d.ToString("0.0", CultureInfo.InvariantCulture)}s" : "";
            var cost = x.CostUsd is { } c ? Money(c) : "";
            var state = x.LimitedUntil is { } until ? $"{x.State} until {until.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture)}" : x.State;
            w.AppendLine(CultureInfo.InvariantCulture, $"  {x.Worker.PadRight(width)}  {state,-10} {duration,8} {cost,9}{(x.Reason is null ? "" : "  " + FirstLine(x.Reason))}");
        }

        if (s.Why is { } why)
        {
            w.AppendLine(CultureInfo.InvariantCulture, $"why: {why}");
        }

        return w.ToString();
    }

    internal static StatusJson ToJson(FleetStatus s) => new(
        s.Root, s.Name, s.Type, s.RunId, s.State, s.Iteration, s.MaxIterations,
        [.. s.Verdicts.Select(v => new VerdictJson(v.Iteration, v.Verdict, v.Reason, v.Source))],
        [.. s.Workers.Select(x => new WorkerStatusJson(x.Worker, x.State, x.DurationSeconds, x.CostUsd, x.Reason, x.LimitedUntil?.ToUniversalTime()))],
        s.Spent, s.CostCapUsd, s.Why, s.OrchestratorPid, s.SpawnMode,
        [.. s.NeedsYou.Select(g => InboxCommands.ToJson(g, s.Root, s.ReadAt))], s.Warnings);

    private static FleetLayout Layout(ICliConsole console, string root)
    {
        var full = CommandHelpers.Resolve(console, root);
        if (!Directory.Exists(full))
        {
            throw new CliException($"{root}: no such folder");
        }

        return new FleetLayout(full);
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static string Money(decimal value) => value.ToString("$0.00##", CultureInfo.InvariantCulture);
}

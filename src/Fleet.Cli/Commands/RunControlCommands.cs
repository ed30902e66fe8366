using System.CommandLine;
using System.Globalization;
using System.Text;
using Fleet.Cli.Hosting;
using Fleet.Gates.Inbox;
using Fleet.Orchestration;
using Fleet.Pricing;
using Fleet.Reports;
using Fleet.UseCases;

namespace Fleet.Cli.Commands;

/// <summary><c>fleet status</c>, <c>ls</c>, <c>pause</c>, <c>resume</c> and <c>kill</c>: they read the journal and files, so they work without the orchestrator.</summary>
internal static class RunControlCommands
{
    public static Command Status(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("status", "Where a fleet stands: state, iteration, verdicts, each worker, spend against the cap, why it stopped.") { root, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var displayRoot = parse.GetValue(root)!;
            var status = (await new ReadFleetStatus(CommandHelpers.Host(console)).RunAsync(new(CommandHelpers.Resolve(console, displayRoot), displayRoot), cancellationToken)).Status;
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, ToJson(status), RunJsonContext.Default.StatusJson);
            }
            else
            {
                await console.Out.WriteAsync(Render(status, console.Terminal));
            }

            // A script that asks where a fleet stands must be able to tell "never launched" from a run.
            return status.State == "not launched" ? ExitCodes.Usage : ExitCodes.Success;
        });
        return command;
    }

    public static Command Ls(ICliConsole console)
    {
        var json = CommandHelpers.JsonOption();
        var command = new Command("ls", "All fleets launched on this machine by this user, with where each stands.") { json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var fleets = await new ReadFleetStatus(CommandHelpers.Host(console)).ListAsync(cancellationToken);
            var rows = fleets.Select(f => f.Status is { } status
                ? ToJson(status)
                : new StatusJson(f.Entry.Root, f.Entry.Name, null, null, "missing (the folder is gone)", 0, null, [], [], 0m, null, null, null, null)).ToList();
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

            await HumanOutput.WriteAsync(console, LsTable(rows));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Pause(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var command = new Command("pause", "Stop the fleet at its next boundary: an iterative fleet after its iteration ends, a dag or worktree fleet by starting no new worker (running workers finish; nothing is killed).") { root };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var displayRoot = parse.GetValue(root)!;
            var paused = await new PauseFleet(CommandHelpers.Host(console)).RunAsync(new(CommandHelpers.Resolve(console, displayRoot), displayRoot), cancellationToken);
            await console.Out.WriteLineAsync($"pausing: {paused.Effect}; resume with: fleet resume {displayRoot}");
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
            var resume = new ResumeFleet(CommandHelpers.Host(console), line => console.Out.WriteLine(line));
            var resumed = await resume.RunAsync(new(CommandHelpers.Resolve(console, displayRoot), displayRoot, SelfCommand.Argv(console)), cancellationToken);
            await console.Out.WriteLineAsync(resumed.OrchestratorStarted
                ? $"resumed: orchestrator started (pid {resumed.OrchestratorPid}); status: fleet status {displayRoot}"
                : $"resumed: the orchestrator (pid {resumed.OrchestratorPid}) goes on");
            return parse.GetValue(wait) ? await RunFollower.FollowAsync(console, resumed.Layout, resumed.Run, TimeProvider.System, cancellationToken) : ExitCodes.Success;
        });
        return command;
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
            var request = new KillFleetRequest(CommandHelpers.Resolve(console, displayRoot), displayRoot)
            {
                Worker = parse.GetValue(target) is "all" ? null : parse.GetValue(target),
                Force = parse.GetValue(force),
            };
            var (worker, actions) = await new KillFleet(CommandHelpers.Host(console)).RunAsync(request, cancellationToken);
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

    internal static HumanTable LsTable(IReadOnlyList<StatusJson> rows) => new(
        [new("NAME"), new("STATE", Toned: true), new("ITER", Right: true), new("SPENT", Right: true), new("ROOT")],
        [.. rows.Select(r => new TableRow([r.Name, r.State, r.Iteration.ToString(CultureInfo.InvariantCulture), Usd.Text(r.SpentUsd), r.Root]))]);

    /// <summary>The workers as a table: a terminal fits it to its width (the notes wrap); plain text keeps the status lines' columns.</summary>
    internal static HumanTable WorkersTable(FleetStatus s) => new(
        [new("worker"), new("state", Toned: true), new("time", Right: true), new("cost", Right: true), new("notes")],
        [.. s.Workers.Select(x => new TableRow(
        [
            x.Worker, StateOf(x), x.DurationSeconds is { } d ? HumanOutput.Elapsed(TimeSpan.FromSeconds(d)) : "", x.CostUsd is { } c ? Usd.Text(c) : "",
            string.Join("; ", new[] { x.Steers > 0 ? $"steered {x.Steers}×" : null, x.Slurm, x.Reason is null ? null : FirstLine(x.Reason) }.OfType<string>()),
        ]))]);

    private static string StateOf(WorkerStatusLine x) => x.LimitedUntil is { } until ? $"{x.State} until {until.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture)}" : x.State;

    internal static string Render(FleetStatus s) => Render(s, Terminal.NotATty);

    internal static string Render(FleetStatus s, Terminal terminal)
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
        w.AppendLine(CultureInfo.InvariantCulture, $"spend: {Usd.Text(s.Spent)}{(s.CostCapUsd is { } cap ? $" of {Usd.Text(cap)} cap" : "")}");
        foreach (var v in s.Verdicts)
        {
            w.AppendLine(CultureInfo.InvariantCulture, $"verdict {v.Iteration}: {v.Verdict}{(v.Source == "review.md" ? "" : $" ({v.Source})")}{(v.Reason is null ? "" : $" — {FirstLine(v.Reason)}")}");
        }

        w.AppendLine(CultureInfo.InvariantCulture, $"workers (iteration {Math.Max(1, s.Iteration)}):");
        if (terminal.IsTty && s.Workers.Count > 0)
        {
            w.Append(HumanOutput.Render(WorkersTable(s), terminal));
        }

        var width = s.Workers.Count == 0 ? 6 : s.Workers.Max(x => x.Worker.Length);
        var stateWidth = s.Workers.Count == 0 ? 10 : Math.Max(10, s.Workers.Max(x => StateOf(x).Length));
        foreach (var x in terminal.IsTty ? Array.Empty<WorkerStatusLine>() : s.Workers)
        {
            var duration = x.DurationSeconds is { } d ? $"{d.ToString("0.0", CultureInfo.InvariantCulture)}s" : "";
            var cost = x.CostUsd is { } c ? Usd.Text(c) : "";
            var line = $"  {x.Worker.PadRight(width)}  {StateOf(x).PadRight(stateWidth)} {duration,8} {cost,9}{(x.Steers > 0 ? $"  steered {x.Steers}×" : "")}{(x.Slurm is null ? "" : "  " + x.Slurm)}{(x.Reason is null ? "" : "  " + FirstLine(x.Reason))}";
            w.AppendLine(line.TrimEnd());
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
        [.. s.Workers.Select(x => new WorkerStatusJson(x.Worker, x.State, x.DurationSeconds, x.CostUsd, x.Reason, x.LimitedUntil?.ToUniversalTime(), x.Steers) { RunCostUsd = x.RunCostUsd, Slurm = x.Slurm })],
        s.Spent, s.CostCapUsd, s.Why, s.OrchestratorPid, s.SpawnMode,
        [.. s.NeedsYou.Select(g => InboxCommands.ToJson(g, s.Root, s.ReadAt))], s.Warnings);

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

}

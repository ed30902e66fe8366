using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fleet.Cli.Hosting;
using Fleet.Forge;
using Fleet.Orchestration;
using Fleet.Processes;
using Fleet.State;
using Fleet.Team;
using Fleet.UseCases;
using Fleet.Worktrees;

namespace Fleet.Cli.Commands;

/// <summary>
/// A team run as an unattended process: <c>team orchestrate</c> (the detached team orchestrator, internal),
/// <c>team status</c>, <c>team resume</c> and <c>team kill</c>, and <c>team run --wait</c>'s following of it.
/// </summary>
internal static class TeamRunCommands
{
    private static Argument<string?> RunArgument() =>
        new("RUN") { Description = "The team run: its id (t-…) or folder (default: the newest run of the repository in the current folder).", Arity = ArgumentArity.ZeroOrOne };

    public static Command Orchestrate(ICliConsole console)
    {
        var runDir = new Argument<string>("RUN_DIR") { Description = "The team run's folder." };
        var command = new Command("orchestrate", "Internal: run a team run's orchestrator in this process.") { runDir };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = CommandHelpers.Resolve(console, parse.GetValue(runDir)!);
            var layout = new FleetLayout(dir);
            var time = TimeProvider.System;
            using var teamLock = await FleetLock.AcquireAsync(layout, TimeSpan.FromSeconds(2), time, cancellationToken)
                ?? throw new CliException($"another team orchestrator holds {FleetLock.PathFor(layout)}");
            var spec = ResumeTeamRun.TeamRunSpecOf(dir);
            var self = ProcessIdentity.TryCapture(Environment.ProcessId);
            await OrchestrateCommand.WriteInfoAsync(layout, new OrchestratorInfo(Environment.ProcessId, self?.StartTime ?? 0, time.GetUtcNow(), Path.Combine(layout.StateDir, FleetRuns.LaunchLog), null), cancellationToken);
            var settings = spec.Settings;
            var forge = ForgeFactory.Open(ForgeSettings.Parse(settings.Forge.Kind, settings.Forge.Path), settings.Repository);
            var launcher = new SquadLauncher(CommandHelpers.Host(console), settings.FleetCommand, spec.Rehearse, spec.TmuxPreference, settings.NoMemory);
            Action<string> log = line => console.Out.WriteLine($"{time.GetLocalNow().ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {line}");
            try
            {
                var result = await new TeamRunner(settings, forge, launcher, time, log).RunAsync(spec.Run, cancellationToken);
                var summary = string.Join(", ", result.Squads.GroupBy(s => s.Status).Select(g => $"{g.Count()} {g.Key}"));
                await new TeamRunJournal(dir, time).EndAsync(spec.Run, result.ExitCode, summary, cancellationToken);
                log($"team run {spec.Run} ended: {summary}");
                return result.ExitCode;
            }
            catch (Exception e) when (e is ForgeException or TeamException or GitException or WorktreeException)
            {
                // The run has not ended: squads already started go on; fleet team resume continues from the journal.
                log($"team run stopped: {e.Message}; continue it with: fleet team resume {dir}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    public static Command Status(ICliConsole console)
    {
        var run = RunArgument();
        var json = CommandHelpers.JsonOption();
        var command = new Command("status", "Where a team run stands: its orchestrator, and each issue's squad (waiting, running, approved…).") { run, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var status = new ReadTeamStatus(CommandHelpers.Host(console)).Read(await FindAsync(console, parse.GetValue(run), cancellationToken));
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, status, TeamStatusJsonContext.Default.TeamStatus);
                return ExitCodes.Success;
            }

            await console.Out.WriteAsync(Render(status));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Resume(ICliConsole console)
    {
        var run = RunArgument();
        var wait = new Option<bool>("--wait") { Description = "Follow the run to its end and exit with its outcome." };
        var command = new Command("resume", "Start a team run's orchestrator again (after a kill -9, a crash, a reboot): squads already started are followed, never started twice.") { run, wait };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = await FindAsync(console, parse.GetValue(run), cancellationToken);
            var resumed = await new ResumeTeamRun(CommandHelpers.Host(console)).RunAsync(dir, SelfCommand.Argv(console), cancellationToken);
            await console.Error.WriteLineAsync(resumed.OrchestratorStarted
                ? $"team run {resumed.Run} resumed: orchestrator pid {resumed.OrchestratorPid}; status: fleet team status {dir}"
                : $"team run {resumed.Run}: its orchestrator (pid {resumed.OrchestratorPid}) is running and goes on");
            return parse.GetValue(wait) ? await FollowAsync(console, dir, json: false, TimeProvider.System, cancellationToken) : ExitCodes.Success;
        });
        return command;
    }

    public static Command Kill(ICliConsole console)
    {
        var run = RunArgument();
        var force = new Option<bool>("--force") { Description = "SIGKILL at once instead of SIGINT, then SIGTERM, then SIGKILL." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("kill", "Stop a team run: its orchestrator, then every squad still running.") { run, force, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = await FindAsync(console, parse.GetValue(run), cancellationToken);
            var actions = await new KillTeamRun(CommandHelpers.Host(console)).RunAsync(dir, parse.GetValue(force), cancellationToken);
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, [.. actions.Select(a => new KillActionJson(a.What, a.Result))], RunJsonContext.Default.ListKillActionJson);
                return ExitCodes.Success;
            }

            foreach (var action in actions)
            {
                await console.Out.WriteLineAsync($"{action.What}: {action.Result}");
            }

            await console.Out.WriteLineAsync(actions.Count == 0 ? "nothing was running" : "team run killed");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// <c>team run --wait</c>: the orchestrator's progress on stderr as it logs it, then the outcomes (or their JSON) and
    /// the run's exit code. Ctrl+C stops the following, never the run.
    /// </summary>
    public static async Task<int> FollowAsync(ICliConsole console, string runDir, bool json, TimeProvider time, CancellationToken cancellationToken)
    {
        var layout = new FleetLayout(runDir);
        var log = Path.Combine(layout.StateDir, FleetRuns.LaunchLog);
        long offset = 0;
        DateTimeOffset? goneSince = null;
        try
        {
            while (true)
            {
                offset = await EchoAsync(console, log, offset, cancellationToken);
                if (FleetRuns.Load(layout).Ended is not null)
                {
                    await EchoAsync(console, log, offset, cancellationToken);
                    return await ReportAsync(console, runDir, json);
                }

                if (OrchestratorInfo.Running(layout) is null && !FleetLock.IsHeld(layout))
                {
                    goneSince ??= time.GetUtcNow();
                    if (time.GetUtcNow() - goneSince > TimeSpan.FromSeconds(5))
                    {
                        await console.Error.WriteLineAsync($"fleet: the team orchestrator stopped before the run ended; continue it with: fleet team resume {runDir}");
                        return ExitCodes.Failed;
                    }
                }
                else
                {
                    goneSince = null;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(300), time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync($"fleet: stopped following; the team run goes on (fleet team status {runDir}); to stop it: fleet team kill {runDir}");
            return ExitCodes.NeedsPerson;
        }
    }

    private static async Task<long> EchoAsync(ICliConsole console, string log, long offset, CancellationToken cancellationToken)
    {
        if (!File.Exists(log))
        {
            return offset;
        }

        await using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length <= offset)
        {
            return offset;
        }

        stream.Seek(offset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        var text = await reader.ReadToEndAsync(cancellationToken);
        var complete = text.LastIndexOf('\n') + 1;
        if (complete > 0)
        {
            await console.Error.WriteAsync(text[..complete]);
        }

        return offset + System.Text.Encoding.UTF8.GetByteCount(text.AsSpan(0, complete));
    }

    private static async Task<int> ReportAsync(ICliConsole console, string runDir, bool json)
    {
        var file = Path.Combine(runDir, TeamRunner.ResultFile);
        if (!File.Exists(file) || JsonSerializer.Deserialize(await File.ReadAllTextAsync(file), TeamRunJsonContext.Default.TeamRunResult) is not { } result)
        {
            var ended = FleetRuns.Load(new FleetLayout(runDir)).Ended!;
            await console.Error.WriteLineAsync($"fleet: the team run ended ({ended.Outcome}: {ended.Reason}) without outcomes");
            return ended.ExitCode ?? ExitCodes.Failed;
        }

        if (json)
        {
            await CommandHelpers.WriteJsonAsync(console, result, TeamRunJsonContext.Default.TeamRunResult);
        }
        else
        {
            foreach (var squad in result.Squads)
            {
                await console.Out.WriteLineAsync($"#{squad.Issue} {squad.Status}: {squad.Reason}{(squad.PullRequestUrl is null ? "" : $" — {squad.PullRequestUrl}")}");
            }

            await console.Out.WriteLineAsync($"team run {result.Run}: retro {result.RetroUrl ?? result.RetroFile}; merge what was approved with: fleet team merge");
        }

        return result.ExitCode;
    }

    internal static string Render(TeamStatus s)
    {
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"team run {s.Run}: {s.State}{(s.Reason is null ? "" : $" ({s.Reason})")}{(s.OrchestratorPid is { } pid ? $", orchestrator pid {pid}" : "")}");
        text.Append(CultureInfo.InvariantCulture, $"; arm {s.Arm}{(s.Rehearsal ? "; rehearsal" : "")}");
        text.Append(CultureInfo.InvariantCulture, $"{(s.MaxSquads is { } max ? $"; at most {max} squads at once" : "")}{(s.CostCapUsd is { } cap ? $"; team cost cap {cap:$0.00}" : "")}\n\n");
        var rows = s.Squads.Select(q => new[]
        {
            q.Wave == 0 ? "-" : q.Wave.ToString(CultureInfo.InvariantCulture), $"#{q.Issue}", q.State, q.Iteration.ToString(CultureInfo.InvariantCulture),
            q.SpentUsd.ToString("$0.00", CultureInfo.InvariantCulture), q.SquadRoot ?? "",
        }).ToList();
        string[] head = ["WAVE", "ISSUE", "STATE", "ITER", "SPENT", "SQUAD"];
        var refusals = s.Squads.Where(q => q.State == SquadStatus.NotStarted && q.Reason is not null).Select(q => $"#{q.Issue} not started: {q.Reason}").ToList();
        var widths = head.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        void Line(string[] cells) => text.AppendLine(string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
        Line(head);
        rows.ForEach(Line);
        if (refusals.Count > 0)
        {
            text.AppendLine().AppendJoin('\n', refusals).AppendLine();
        }

        return text.ToString();
    }

    private static async Task<string> FindAsync(ICliConsole console, string? given, CancellationToken cancellationToken)
    {
        var resolved = given is not null && (given.Contains('/', StringComparison.Ordinal) || given == ".") ? CommandHelpers.Resolve(console, given) : given;
        string? repository = null;
        try
        {
            repository = await new WorktreeManager().RepositoryTopAsync(console.CurrentDirectory, cancellationToken);
        }
        catch (GitException)
        {
            // Outside a repository only a run folder names a run.
        }

        return TeamRuns.Find(resolved, repository);
    }
}

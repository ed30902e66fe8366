using System.Globalization;
using Fleet.Gates.Inbox;
using Fleet.Notifications;
using Fleet.Orchestration;
using Fleet.Pricing;
using Fleet.State;

namespace Fleet.Cli.Hosting;

/// <summary>Follows a run's journal for <c>launch --wait</c>: one line per decision, then the outcome's exit code.</summary>
internal static class RunFollower
{
    public static async Task<int> FollowAsync(ICliConsole console, FleetLayout layout, string runId, TimeProvider time, CancellationToken cancellationToken)
    {
        var terminal = console.Terminal;
        try
        {
            if (terminal.IsTty)
                return await LiveFollower.FollowAsync(console, terminal, layout, runId, time, cancellationToken);

            var announced = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
            var end = await FollowUntilEndAsync(console, layout, runId, time, async (fresh, _) =>
            {
                foreach (var entry in fresh)
                {
                    await console.Error.WriteLineAsync(Describe(entry));
                }

                await AnnounceGatesAsync(console, layout, announced, time);
            }, cancellationToken);
            await (end.ToError ? console.Error : console.Out).WriteLineAsync(end.Message);
            return end.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C stops the watching, never the fleet: say so, and how to look again or stop it.
            await console.Error.WriteLineAsync(StoppedFollowing(layout));
            return ExitCodes.NeedsPerson;
        }
    }

    internal static string StoppedFollowing(FleetLayout layout) =>
        $"fleet: stopped following; the fleet goes on (fleet status {layout.Root}); to stop it: fleet kill {layout.Root}";

    /// <summary>How following ended: the exit code, and the line that says why (on stderr when it is a problem).</summary>
    internal sealed record FollowEnd(int ExitCode, string Message, bool ToError, RunState State);

    /// <summary>
    /// Reads the journal until the run ends, pauses or loses its orchestrator; <paramref name="onTick"/> gets the entries
    /// new since the last look and the run's state, for the log or the live view to show.
    /// </summary>
    internal static async Task<FollowEnd> FollowUntilEndAsync(ICliConsole console, FleetLayout layout, string runId, TimeProvider time, Func<IReadOnlyList<JournalEntry>, RunState, Task> onTick, CancellationToken cancellationToken)
    {
        var seen = 0;
        var orchestratorSeen = false;
        var bell = Bell.For(console, layout);
        while (true)
        {
            var entries = Journal.Read(layout.JournalFile);
            var run = entries.SkipWhile(e => !(e.Type == JournalTypes.RunStarted && e.Run == runId)).ToList();
            var state = RunState.Fold(run);
            await onTick(run.Skip(seen).ToList(), state);
            seen = run.Count;
            await (bell?.RingAsync(console, layout, run) ?? Task.CompletedTask);
            if (state.Ended is { } ended)
            {
                return new(ended.ExitCode ?? ExitCodes.Failed, $"{ended.Outcome}: {ended.Reason}", false, state);
            }

            if (state.Paused)
            {
                return new(ExitCodes.NeedsPerson, $"{(state.Escalated ? "escalated" : "paused")}: {state.PauseReason} (fleet resume {layout.Root} continues)", false, state);
            }

            var alive = OrchestratorInfo.Running(layout) is not null;
            orchestratorSeen |= alive;
            if (orchestratorSeen && !alive && FleetRuns.JournalProblem(layout) is { } problem)
            {
                return new(ExitCodes.NeedsPerson, $"fleet: {problem}; the orchestrator stopped and left the workers running; see {Path.Combine(layout.StateDir, FleetRuns.LaunchLog)}", true, state);
            }

            if (orchestratorSeen && !alive && RunState.Fold(Journal.Read(layout.JournalFile).SkipWhile(e => e.Run != runId)).Ended is null)
            {
                return new(ExitCodes.Internal, $"fleet: the orchestrator stopped before the run ended; see {Path.Combine(layout.StateDir, FleetRuns.LaunchLog)}; continue with: fleet resume {layout.Root}", true, state);
            }

            // The person's terminal, not the orchestrator's hot path: a short poll keeps this simple.
            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
        }
    }

    /// <summary>A gate that needs the person is said when it opens, again every few minutes, and once when it is settled.</summary>
    private static async Task AnnounceGatesAsync(ICliConsole console, FleetLayout layout, Dictionary<string, DateTimeOffset> announced, TimeProvider time)
    {
        var now = time.GetUtcNow();
        foreach (var gate in GateInbox.List(layout))
        {
            var at = now.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
            if (gate.State == InboxGateState.Open)
            {
                if (!announced.TryGetValue(gate.Id, out var last) || now - last >= GateReminder)
                {
                    announced[gate.Id] = now;
                    await console.Error.WriteLineAsync($"[{at}]   {GateText.NeedsYou(gate, layout.Root, now)}");
                }
            }
            else if (announced.Remove(gate.Id))
            {
                var how = gate.Closed is { } c ? $"{c.Decision} ({c.DecidedBy})" : gate.Answer is { } a ? $"{a.Decision} by {a.By}" : gate.State.ToString().ToLowerInvariant();
                await console.Error.WriteLineAsync($"[{at}]   gate {gate.Id} of {gate.Request.Worker}: {how} after {GateText.Duration(gate.Waited(now))}");
            }
        }
    }

    private static readonly TimeSpan GateReminder = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The notify section's <c>bell</c>: the terminal bell for each event that happens while the run is followed (the
    /// events already in the records at the first look are not rung for).
    /// </summary>
    private sealed class Bell(string fleet)
    {
        private HashSet<string>? _seen;

        public static Bell? For(ICliConsole console, FleetLayout layout)
        {
            if (!console.IsInteractive)
            {
                return null;
            }

            try
            {
                var launched = Fleet.Validation.LaunchedFleet.Load(layout);
                var (settings, _) = NotifySettings.Resolve(launched.Notify, new Paths.UserDirs(console.GetEnvironmentVariable));
                return settings.Bell ? new Bell(launched.Name) : null;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        public async Task RingAsync(ICliConsole console, FleetLayout layout, IReadOnlyList<JournalEntry> run)
        {
            var ids = NotificationEvents.Derive(new NotifyContext(fleet, layout.Root), run, GateInbox.List(layout)).Select(e => e.Id).ToList();
            var fresh = _seen is not null && ids.Any(id => !_seen.Contains(id));
            _seen = [.. _seen ?? [], .. ids];
            if (fresh)
            {
                await console.Error.WriteAsync('\a');
            }
        }
    }

    internal static string Describe(JournalEntry e)
    {
        var at = e.Ts.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        var what = e.Type switch
        {
            JournalTypes.RunStarted => $"run {e.Run} of {e.Fleet} ({e.FleetType}) started; workers: {e.SpawnMode}{(e.Rehearsal is null ? "" : ", rehearsal")}",
            JournalTypes.OrchestratorStarted => $"orchestrator running (pid {e.Pid})",
            JournalTypes.IterationStarted => $"iteration {e.Iteration}",
            JournalTypes.WorkerSpawning => $"  ▸ {e.Worker} started",
            JournalTypes.WorkerEnded => $"  {(e.Outcome == "succeeded" ? "✓" : "✗")} {e.Worker} {e.Outcome}{(e.CostUsd is { } c ? $" ({Usd.Text(c)})" : "")}{(e.Reason is null ? "" : ": " + e.Reason)}",
            JournalTypes.WorkerSkipped => $"  - {e.Worker} skipped: {e.Reason}",
            JournalTypes.Verdict => $"  verdict: {e.Outcome} ({e.Source})",
            JournalTypes.CostCapReached => $"  cost cap reached: {e.Reason}",
            JournalTypes.Killed => $"  {e.Worker} killed by a person",
            JournalTypes.WorkerLimited => $"  ⏸ {e.Worker} hit a limit{(e.Reason is null ? "" : ": " + e.Reason)}",
            JournalTypes.WorkerContinued => $"  ▸ {e.Worker} continues its session",
            JournalTypes.WorkerSteered => $"  ✎ {e.Worker}: a person {(e.Reason == "interrupt" ? "interrupted its turn" : "sent a message")}",
            JournalTypes.Paused => $"{(e.Outcome == "escalated" ? "escalated" : "paused")}{(e.Reason is null ? "" : ": " + e.Reason)}",
            JournalTypes.Resumed => "resumed by a person",
            JournalTypes.RunEnded => $"run ended: {e.Outcome}{(e.Reason is null ? "" : " — " + e.Reason)}",

            // A kind this build does not know (a newer fleet wrote it): its name in words, never raw.
            _ => $"{e.Type.Replace('_', ' ')}{(e.Reason is null ? "" : ": " + e.Reason)}",
        };
        return $"[{at}] {what}";
    }
}

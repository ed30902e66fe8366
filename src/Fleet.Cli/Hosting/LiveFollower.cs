using Fleet.Orchestration;
using Fleet.Pricing;
using Fleet.Reports;
using Fleet.State;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fleet.Cli.Hosting;

/// <summary>
/// <c>--wait</c> at a terminal: a live view of the run's workers (state, elapsed, cost, open gates) redrawn in place from
/// the same journal reads as the append-only log, ending with the outcome, the total cost and the time.
/// </summary>
internal static class LiveFollower
{
    private const int RecentEvents = 5;

    public static async Task<int> FollowAsync(ICliConsole console, Terminal terminal, FleetLayout layout, string runId, TimeProvider time, CancellationToken cancellationToken)
    {
        var ansi = HumanOutput.Console(console.Out, terminal);
        var recent = new List<string>();
        RunFollower.FollowEnd? end = null;
        await ansi.Live(new Text("following the run…"))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async ctx =>
            {
                end = await RunFollower.FollowUntilEndAsync(console, layout, runId, time, (fresh, state) =>
                {
                    recent.AddRange(fresh.Select(RunFollower.Describe));
                    if (recent.Count > RecentEvents)
                        recent.RemoveRange(0, recent.Count - RecentEvents);
                    ctx.UpdateTarget(Frame(FleetStatus.Read(layout.Root, time), state.StartedAt, recent, time.GetUtcNow(), terminal.Color));
                    ctx.Refresh();
                    return Task.CompletedTask;
                }, cancellationToken);

                // The last frame stays on the screen: without the Ctrl+C hint, which no longer applies.
                ctx.UpdateTarget(Frame(FleetStatus.Read(layout.Root, time), end.State.StartedAt, recent, end.State.Ended?.Ts ?? time.GetUtcNow(), terminal.Color, following: false));
                ctx.Refresh();
            });

        var finished = end!;
        var final = FleetStatus.Read(layout.Root, time);
        var tone = finished.State.Ended is { } ended ? Tones.Of(ended.Outcome ?? "") : Tone.Waiting;
        if (finished.ToError)
        {
            await console.Error.WriteLineAsync(finished.Message);
        }
        else
        {
            ansi.Write(new Text(finished.Message, terminal.Color ? HumanOutput.ToneStyle(tone) : Style.Plain));
            ansi.WriteLine();
        }

        var took = (finished.State.Ended?.Ts ?? time.GetUtcNow()) - (finished.State.StartedAt ?? time.GetUtcNow());
        ansi.Write(new Text(EndLine(final.Spent, took), terminal.Color ? new Style(decoration: Decoration.Bold) : Style.Plain));
        ansi.WriteLine();
        return finished.ExitCode;
    }

    /// <summary>The last line of a followed run: <c>total cost $0.42, time 3m 05s</c>.</summary>
    public static string EndLine(decimal spent, TimeSpan took) =>
        $"total cost {Usd.Text(spent)}, time {HumanOutput.Elapsed(took)}";

    /// <summary>One frame of the view, pure: the run's line, a table of its workers, the gates that wait for a person, the latest events.</summary>
    public static IRenderable Frame(FleetStatus status, DateTimeOffset? startedAt, IReadOnlyList<string> recent, DateTimeOffset now, bool color, bool following = true)
    {
        ArgumentNullException.ThrowIfNull(status);
        var elapsed = startedAt is { } at ? HumanOutput.Elapsed(now - at) : "";
        var iteration = status.MaxIterations is { } max ? $"iteration {status.Iteration} of {max}" : $"iteration {status.Iteration}";
        var head = $"fleet \"{status.Name}\": {status.State}, {iteration}, {elapsed}, {Usd.Text(status.Spent)}{(status.CostCapUsd is { } cap ? $" of {Usd.Text(cap)} cap" : "")}";
        var parts = new List<IRenderable> { new Text(head, color ? new Style(decoration: Decoration.Bold) : Style.Plain) };

        var table = new Table { Border = TableBorder.Rounded };
        if (color)
            table.BorderStyle = new Style(foreground: Color.Grey);
        table.AddColumn("worker");
        table.AddColumn("state");
        table.AddColumn(new Spectre.Console.TableColumn("elapsed").RightAligned());
        table.AddColumn(new Spectre.Console.TableColumn("cost").RightAligned());
        table.AddColumn("gates");
        foreach (var w in status.Workers)
        {
            var gates = status.NeedsYou.Count(g => g.Request.Worker == w.Worker);
            table.AddRow(
                new Text(w.Worker),
                new Text(w.State, color ? HumanOutput.ToneStyle(Tones.Of(w.State)) : Style.Plain),
                new Text(w.DurationSeconds is { } d ? HumanOutput.Elapsed(TimeSpan.FromSeconds(d)) : ""),
                new Text(w.CostUsd is { } c ? Usd.Text(c) : ""),
                new Text(gates == 0 ? "" : $"{gates} waiting", color ? new Style(foreground: Color.Yellow) : Style.Plain));
        }

        parts.Add(table);
        foreach (var gate in status.NeedsYou)
        {
            parts.Add(new Text(Fleet.Gates.Inbox.GateText.NeedsYou(gate, status.Root, now), color ? new Style(foreground: Color.Yellow) : Style.Plain));
        }

        foreach (var line in recent)
        {
            parts.Add(new Text(line, color ? new Style(decoration: Decoration.Dim) : Style.Plain));
        }

        if (following)
            parts.Add(new Text("Ctrl+C stops watching; the fleet goes on", color ? new Style(decoration: Decoration.Dim) : Style.Plain));
        return new Rows(parts);
    }

}

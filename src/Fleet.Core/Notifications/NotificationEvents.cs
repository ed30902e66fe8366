using System.Globalization;
using Fleet.Gates;
using Fleet.Gates.Inbox;
using Fleet.Providers;
using Fleet.State;

namespace Fleet.Notifications;

/// <summary>Who the events are for: the fleet and its root (for the commands), and the dashboard when one runs.</summary>
public sealed record NotifyContext(string Fleet, string Root, string? Dashboard = null);

/// <summary>
/// The events of a run, from its records alone: the journal's entries and the gates' files. Pure, so a restarted
/// orchestrator computes exactly the events the last one did, with the same ids, and the ledger decides which still
/// need delivering.
/// </summary>
public static class NotificationEvents
{
    /// <summary>Every event of the latest run in <paramref name="journal"/>, oldest first.</summary>
    /// <param name="gates">The root's gates; only open ones (asked, unanswered, someone waiting) are announced.</param>
    public static IReadOnlyList<NotificationEvent> Derive(NotifyContext context, IReadOnlyList<JournalEntry> journal, IReadOnlyList<InboxGate> gates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(gates);
        var start = LastIndex(journal, e => e.Type == JournalTypes.RunStarted);
        if (start < 0 || journal[start].Run is not { } run)
        {
            return [];
        }

        var root = ShellQuote.Quote(context.Root);
        var events = new List<NotificationEvent>();
        var pauses = 0;
        foreach (var e in journal.Skip(start))
        {
            switch (e.Type)
            {
                case JournalTypes.WorkerLimited:
                    var attempt = e.Attempt ?? 1;
                    events.Add(Event(run, NotificationTypes.WorkerLimited, Key(e.Worker, e.Iteration, attempt), e) with
                    {
                        Attempt = attempt,
                        Until = e.Until,
                        CostUsd = e.CostUsd,
                        Summary = $"{context.Fleet}: {e.Worker} hit a limit in iteration {e.Iteration} ({e.Reason}); "
                            + (e.Until is { } until ? $"fleet continues its session at {until.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z" : "it is not continued"),
                        Commands = [$"fleet status {root}", $"fleet resume {root}"],
                    });
                    break;
                case JournalTypes.WorkerEnded when e.Reason?.StartsWith("lost:", StringComparison.Ordinal) == true:
                    events.Add(Event(run, NotificationTypes.WorkerLost, Key(e.Worker, e.Iteration), e) with
                    {
                        Summary = $"{context.Fleet}: {e.Worker} was lost in iteration {e.Iteration}: {e.Reason}",
                        Commands = [$"fleet status {root}"],
                    });
                    break;
                case JournalTypes.Paused:
                    pauses++;
                    var escalated = e.Outcome == "escalated";
                    events.Add(Event(run, escalated ? NotificationTypes.RunEscalated : NotificationTypes.RunPaused, Key(null, e.Iteration, pauses), e) with
                    {
                        Summary = $"{context.Fleet}: {(escalated ? "escalated" : "paused")} after iteration {e.Iteration}: {e.Reason}",
                        Commands = [$"fleet status {root}", $"fleet resume {root}"],
                    });
                    break;
                case JournalTypes.CostCapReached:
                    events.Add(Event(run, NotificationTypes.CostCapReached, "cap", e) with
                    {
                        CostUsd = e.CostUsd,
                        Summary = $"{context.Fleet}: cost cap reached ({e.Reason}); no worker starts from now on",
                        Commands = [$"fleet status {root}"],
                    });
                    break;
                case JournalTypes.RunEnded:
                    events.Add(Event(run, NotificationTypes.RunEnded, "end", e) with
                    {
                        CostUsd = e.CostUsd,
                        Summary = $"{context.Fleet}: run ended {e.Outcome}: {e.Reason}",
                        Commands = [$"fleet status {root}", $"fleet retro {root}"],
                    });
                    break;
                default:
                    break;
            }
        }

        foreach (var gate in gates.Where(g => g.State == InboxGateState.Open))
        {
            events.Add(GateOpened(context, run, root, gate.Request));
        }

        // One event per id, whatever the records hold twice (a cap journaled by two orchestrators).
        return [.. events
            .GroupBy(e => e.Id, StringComparer.Ordinal).Select(g => g.First())
            .Select(e => e with { Fleet = context.Fleet, Root = context.Root, Dashboard = context.Dashboard })
            .OrderBy(e => e.At).ThenBy(e => e.Id, StringComparer.Ordinal)];
    }

    /// <summary>The lines a person reads: the summary, then each command on a line of its own, then the dashboard.</summary>
    public static string Text(NotificationEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var lines = new List<string> { e.Summary };
        lines.AddRange(e.Commands.Select(c => "  " + c));
        if (e.Dashboard is { } dashboard)
        {
            lines.Add("  " + dashboard);
        }

        return string.Join('\n', lines);
    }

    private static NotificationEvent GateOpened(NotifyContext context, string run, string root, GateRequest r)
    {
        var question = r.Kind == GateKinds.Question;
        return new NotificationEvent
        {
            Id = $"{run}/{NotificationTypes.GateOpened}/{r.Id}",
            Type = NotificationTypes.GateOpened,
            At = r.AskedAt,
            Fleet = context.Fleet,
            Root = context.Root,
            Run = run,
            Worker = r.Worker,
            Iteration = r.Iteration,
            Reason = r.Reason,
            Gate = new NotificationGate(r.Id, r.Kind, r.Tool, r.Summary, r.Reason, r.Input, r.AlwaysRule),
            Summary = question
                ? $"{context.Fleet}: {r.Worker} asks: {GateText.OneLine(r.Summary)} (gate {r.Id})"
                : $"{context.Fleet}: {r.Worker} wants {r.Tool}: {GateText.OneLine(r.Summary)} (gate {r.Id}; {GateText.OneLine(r.Reason, 100)})",
            Commands = question
                ? [$"fleet answer {root} {r.Id} ANSWER…", $"fleet deny {root} {r.Id} --message TEXT"]
                : [$"fleet approve {root} {r.Id}", .. r.AlwaysRule is null ? Array.Empty<string>() : [$"fleet approve {root} {r.Id} --always"], $"fleet deny {root} {r.Id} --message TEXT"],
        };
    }

    private static NotificationEvent Event(string run, string type, string key, JournalEntry e) => new()
    {
        Id = $"{run}/{type}/{key}",
        Type = type,
        At = e.Ts,
        Fleet = string.Empty,
        Root = string.Empty,
        Run = run,
        Worker = e.Worker,
        Iteration = e.Iteration,
        Outcome = e.Outcome,
        Reason = e.Reason,
        Summary = string.Empty,
    };

    private static string Key(string? worker, int? iteration, int? ordinal = null) => string.Join('/', new[]
    {
        worker,
        iteration?.ToString(CultureInfo.InvariantCulture),
        ordinal?.ToString(CultureInfo.InvariantCulture),
    }.Where(p => p is not null));

    private static int LastIndex(IReadOnlyList<JournalEntry> entries, Func<JournalEntry, bool> match)
    {
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            if (match(entries[i]))
            {
                return i;
            }
        }

        return -1;
    }
}

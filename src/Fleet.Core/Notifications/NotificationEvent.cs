using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Fleet.Notifications;

/// <summary>The kinds of <see cref="NotificationEvent.Type"/>: strings on the wire, read by other people's hooks.</summary>
public static class NotificationTypes
{
    public const string GateOpened = "gate_opened";
    public const string WorkerLimited = "worker_limited";
    public const string WorkerLost = "worker_lost";
    public const string RunEscalated = "run_escalated";
    public const string RunPaused = "run_paused";
    public const string RunEnded = "run_ended";
    public const string CostCapReached = "cost_cap_reached";

    public static IReadOnlyList<string> All { get; } = [GateOpened, WorkerLimited, WorkerLost, RunEscalated, RunPaused, RunEnded, CostCapReached];
}

/// <summary>
/// Something a person should hear about, derived from a durable record (a journal entry or a gate request), so the
/// same record always gives the same event with the same <see cref="Id"/>: a restarted orchestrator finds it again,
/// and the delivery ledger tells whether it went out.
/// </summary>
public sealed record NotificationEvent
{
    /// <summary>Stable: <c>RUN/TYPE/KEY</c>, where KEY names the record (the gate id; worker/iteration/attempt; …).</summary>
    public required string Id { get; init; }

    public required string Type { get; init; }

    /// <summary>When the record says it happened (the journal entry's time, the gate's request time).</summary>
    public DateTimeOffset At { get; init; }

    public required string Fleet { get; init; }

    public required string Root { get; init; }

    public required string Run { get; init; }

    /// <summary>One line a person can act on.</summary>
    public required string Summary { get; init; }

    public string? Worker { get; init; }

    public int? Iteration { get; init; }

    public int? Attempt { get; init; }

    /// <summary>run_ended: <c>success|failed|escalated|paused|killed</c>; run_paused / run_escalated: the same.</summary>
    public string? Outcome { get; init; }

    public string? Reason { get; init; }

    public decimal? CostUsd { get; init; }

    /// <summary>worker_limited: when fleet continues the worker's session.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>gate_opened: the exact request.</summary>
    public NotificationGate? Gate { get; init; }

    /// <summary>The commands that act on it: answer the gate, resume the run, look at it.</summary>
    public IReadOnlyList<string> Commands { get; init; } = [];

    /// <summary>The dashboard's address while <c>fleet dashboard</c> runs; absent otherwise.</summary>
    public string? Dashboard { get; init; }
}

/// <summary>A gate's request as the shim wrote it (its input already masked).</summary>
public sealed record NotificationGate(string Id, string Kind, string Tool, string Summary, string Reason, JsonObject? Input, string? AlwaysRule);

/// <summary>
/// What a webhook gets: <c>text</c> for Slack, <c>content</c> for Discord (both the same readable lines), and the
/// structured event for anything else.
/// </summary>
public sealed record WebhookBody(string Text, string Content, NotificationEvent Event);

/// <summary>One line of the delivery ledger, <c>.fleet/notifications.jsonl</c>.</summary>
/// <param name="Status"><c>delivered</c>, or <c>undelivered</c> (the orchestrator stopped before it could deliver; the next one tries again).</param>
public sealed record LedgerLine(string Id, string Channel, string Status, DateTimeOffset At, int Attempts, string? Error = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NotificationEvent))]
[JsonSerializable(typeof(WebhookBody))]
[JsonSerializable(typeof(LedgerLine))]
public sealed partial class NotificationJsonContext : JsonSerializerContext;


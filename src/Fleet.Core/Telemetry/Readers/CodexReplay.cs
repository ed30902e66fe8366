using System.Globalization;
using Fleet.Streams;

namespace Fleet.Telemetry.Readers;

/// <summary>
/// How a Codex fork's or sub-agent's rollout tells its copy of the parent's history from its own work. Codex writes
/// the child's <c>session_meta</c>, then the parent's history (its <c>session_meta</c>, turns and <c>token_count</c>
/// lines, the timestamps rewritten to the moment of the copy or kept as they were), then the child's own turns. A
/// turn start carries its own time (<c>task_started.started_at</c>, and a turn id that is a UUIDv7): the child's
/// first turn is the first one started at or after the child was created. Older rollouts without either are told by
/// time alone: the copy is written in one burst at creation (or keeps the parent's earlier times), so a usage event
/// more than <see cref="BurstGapMs"/> after the previous copied one, and not before creation, is the child's.
/// </summary>
internal static class CodexReplay
{
    /// <summary>The longest pause between two usage events of a copy written in one burst.</summary>
    public const long BurstGapMs = 1000;

    public enum Turn
    {
        /// <summary>The line does not tell when its turn started.</summary>
        Unknown,

        /// <summary>A turn of the parent's, copied.</summary>
        Copied,

        /// <summary>The child's own turn: the copy has ended.</summary>
        Own,
    }

    /// <summary>Whose turn a turn start (<c>task_started</c> or <c>turn_context</c>) is, from its start time or its UUIDv7 id.</summary>
    public static Turn TurnStart(long? createdAtMs, long? startedAtSeconds, string? turnId)
    {
        if (createdAtMs is not { } created)
            return Turn.Own;
        long? startedMs = startedAtSeconds is { } s ? s * 1000 : TimeOf(turnId)?.ToUnixTimeMilliseconds();
        if (startedMs is not { } started)
            return Turn.Unknown;

        // started_at has whole seconds: a turn started in the creation's own second is the child's.
        return started >= created - (startedAtSeconds is null ? 0 : 999) ? Turn.Own : Turn.Copied;
    }

    /// <summary>True when a usage event read while the copy lasts belongs to it.</summary>
    /// <param name="sawTurnMarker">The copy has turn starts with their times, so only a turn start ends it.</param>
    public static bool IsCopied(long? createdAtMs, long? lastCopiedMs, long? atMs, bool sawTurnMarker)
    {
        if (sawTurnMarker || atMs is not { } at || createdAtMs is not { } created)
            return true;
        if (at < created)
            return true; // the parent's own times, kept
        return at - (lastCopiedMs is { } last && last >= created ? last : created) <= BurstGapMs;
    }

    /// <summary>The creation time a UUIDv7 carries (its first 48 bits, Unix ms); null for any other id.</summary>
    public static DateTimeOffset? TimeOf(string? id)
    {
        if (id is not { Length: 36 } || id[8] != '-' || id[13] != '-' || id[14] != '7')
            return null;
        var hex = string.Concat(id.AsSpan(0, 8), id.AsSpan(9, 4));
        return long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
    }

    /// <summary>
    /// What identifies one usage event of a rollout whatever file holds it: the session and the cumulative total it
    /// reached. An active rollout and its archived copy (or a copy of it under another name) give the same keys.
    /// </summary>
    public static string UsageKey(string sessionId, CodexUsage total) => string.Create(CultureInfo.InvariantCulture,
        $"codex:{sessionId}:{total.InputTokens}/{total.CachedInputTokens}/{total.CacheWriteInputTokens}/{total.OutputTokens}/{total.ReasoningOutputTokens}");
}

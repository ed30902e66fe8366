using System.Globalization;
using System.Text;
using Fleet.Pricing;

namespace Fleet.Streams;

/// <summary>
/// The readable view of a worker's stream for a person watching its tmux window: an event in, zero or
/// more plain lines out. Pure; no console, no colour, no state.
/// <code>
/// ▸ Bash: npm test
///   ✗ No such tool available: Write. …
/// ✓ done in 3 turns, $0.0123
/// </code>
/// </summary>
public static class StreamRenderer
{
    /// <summary>Lines are cut to this many characters unless the caller says otherwise.</summary>
    public const int DefaultWidth = 160;

    /// <summary>At most this many lines of one assistant message are shown.</summary>
    public const int MaxTextLines = 4;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static IReadOnlyList<string> Render(AgentEvent e, int width = DefaultWidth)
    {
        ArgumentNullException.ThrowIfNull(e);
        width = Math.Max(width, 20);
        return e switch
        {
            SessionStarted s => [Cut(Join(" · ", $"● session {s.SessionId}", s.Model, s.PermissionMode, s.Cwd), width)],
            ThreadStarted t => [Cut($"● thread {t.ThreadId}", width)],
            AssistantText t => Text(t.Text, t.ParentToolUseId is null ? "" : "  ", width),
            ToolCall c => [Cut(c.InputSummary.Length > 0 ? $"{(c.ParentToolUseId is null ? "" : "  ")}▸ {c.Name}: {c.InputSummary}" : $"▸ {c.Name}", width)],
            ToolResult { IsError: true } r => [Cut($"  ✗ {r.Summary}", width)],
            ApiError a => [Cut($"✗ {a.Message}", width)],
            ApiRetry r => [Cut(Retry(r), width)],
            CompactBoundary c => [Cut(string.Create(Inv, $"⋯ context compacted ({c.Trigger ?? "?"}{(c.PreTokens is { } n ? $", {n:N0} tokens before" : "")})"), width)],
            ClaudeResult r => Result(r, width),
            TurnCompleted { CumulativeUsage: { } u } => [Cut(string.Create(Inv, $"· turn completed · thread total {u.InputTokens:N0} in ({u.CachedInputTokens:N0} cached), {u.OutputTokens:N0} out"), width)],
            TurnCompleted => ["· turn completed"],
            TurnFailed f => [Cut($"✗ turn failed: {FirstLine(f.Message)}", width)],
            StreamError s => [Cut($"! error: {FirstLine(s.Message)}", width)],
            ItemEvent i => Item(i, width),
            _ => [],
        };
    }

    /// <summary>The closing line for a finished run, from its reader's summary (Codex's cost lives only there).</summary>
    public static string RenderSummary(AgentStreamSummary summary, int width = DefaultWidth)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var facts = Join(", ", Turns(summary.Turns), Cost(summary.CostUsd));
        if (summary.IsError)
            return Cut($"✗ failed: {FirstLine(summary.ErrorText ?? summary.ResultKind ?? "unknown error")}{(facts.Length > 0 ? " · " + facts : "")}", width);
        if (summary.ResultKind is null)
            return Cut("… no result yet", width);
        var unknownCost = summary.CostUsd is null && summary.Notes.Count > 0 ? $" ({summary.Notes[^1]})" : "";
        return Cut($"✓ done{(summary.Turns is not null ? " in " : "")}{Join(", ", Turns(summary.Turns), Cost(summary.CostUsd) ?? "cost unknown")}{unknownCost}", width);
    }

    private static List<string> Result(ClaudeResult r, int width)
    {
        var lines = new List<string>();
        if (r.PermissionDenials.Count > 0)
            lines.Add(Cut($"  ⚠ permission denied: {string.Join(", ", r.PermissionDenials.Select(d => d.ToolName))}", width));

        var (failure, error) = ClaudeStreamReader.Outcome(r);
        if (failure == StreamFailure.ApiError && r.ApiErrorStatus is { } status)
            error = string.Create(Inv, $"API error {status}"); // the full message was shown by the ApiError event just before
        var facts = Join(", ", Turns(r.NumTurns), Cost(r.TotalCostUsd));
        lines.Add(r.IsError
            ? Cut($"✗ failed: {FirstLine(error ?? r.Subtype)}{(facts.Length > 0 ? " · " + facts : "")}", width)
            : Cut($"✓ done{(r.NumTurns is not null ? " in " : "")}{facts}", width));
        return lines;
    }

    private static List<string> Item(ItemEvent e, int width) => (e.Phase, e.Item) switch
    {
        (ItemPhase.Started, CommandExecutionItem c) => [Cut($"▸ shell: {Unwrap(c.Command)}", width)],
        (ItemPhase.Completed, CommandExecutionItem { Status: "declined" } c) => [Cut($"  ✗ declined: {Unwrap(c.Command)}", width)],
        (ItemPhase.Completed, CommandExecutionItem c) when c.ExitCode is not 0 || c.Status == "failed" =>
            [Cut(string.Create(Inv, $"  ✗ exit {c.ExitCode?.ToString(Inv) ?? "?"}: {LastLine(c.Output)}").TrimEnd(' ', ':'), width)],
        (ItemPhase.Completed, AgentMessageItem m) => Text(m.Text, "", width),
        (ItemPhase.Completed, FileChangeItem f) => [Cut($"▸ edit: {string.Join(", ", f.Changes.Select(c => $"{c.Kind} {c.Path}"))}", width)],
        (ItemPhase.Started, McpToolCallItem m) => [Cut($"▸ {m.Server}.{m.Tool}", width)],
        (ItemPhase.Completed, McpToolCallItem { Error: { } error }) => [Cut($"  ✗ {FirstLine(error)}", width)],
        (ItemPhase.Completed, WebSearchItem w) => [Cut($"▸ web search: {w.Query}", width)],
        (ItemPhase.Completed, TodoListItem t) => [Cut(string.Create(Inv, $"▸ plan: {t.Done}/{t.Total} done"), width)],
        (ItemPhase.Completed, ErrorItem w) => [Cut($"! {FirstLine(w.Message)}", width)],
        _ => [],
    };

    private static List<string> Text(string text, string indent, int width)
    {
        var lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var shown = lines.Take(MaxTextLines).Select(l => Cut(indent + l, width)).ToList();
        if (lines.Length > MaxTextLines)
            shown.Add(string.Create(Inv, $"{indent}… (+{lines.Length - MaxTextLines} more lines)"));
        return shown;
    }

    private static string Retry(ApiRetry r)
    {
        var sb = new StringBuilder("↻ API retry");
        if (r.Attempt is { } attempt)
            sb.Append(Inv, $" {attempt}{(r.MaxRetries is { } max ? $"/{max}" : "")}");
        var why = Join(" ", r.Status?.ToString(Inv), r.Error);
        if (why.Length > 0)
            sb.Append(Inv, $" after {why}");
        if (r.DelayMs is { } delay)
            sb.Append(Inv, $", waiting {delay / 1000:0.0}s");
        return sb.ToString();
    }

    /// <summary><c>/bin/bash -lc 'npm test'</c> → <c>npm test</c>: Codex wraps every command in a login shell.</summary>
    internal static string Unwrap(string command)
    {
        foreach (var shell in (string[])["/bin/bash -lc ", "bash -lc ", "/bin/sh -c ", "sh -c ", "/bin/zsh -lc ", "zsh -lc "])
        {
            if (!command.StartsWith(shell, StringComparison.Ordinal))
                continue;
            var rest = command[shell.Length..];
            if (rest.Length >= 2 && ((rest[0] == '\'' && rest[^1] == '\'') || (rest[0] == '"' && rest[^1] == '"')))
                rest = rest[1..^1];
            return FirstLine(rest);
        }

        return FirstLine(command);
    }

    private static string? Turns(int? turns) => turns switch
    {
        null => null,
        1 => "1 turn",
        { } n => string.Create(Inv, $"{n} turns"),
    };

    private static string? Cost(decimal? cost) => cost is { } c ? Usd.Text(c) : null;

    private static string Join(string separator, params string?[] parts) =>
        string.Join(separator, parts.Where(p => !string.IsNullOrWhiteSpace(p)));

    private static string FirstLine(string text) => ToolInput.FirstLine(text);

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";

    /// <summary>Cuts to <paramref name="width"/> characters (text elements, so emoji and accents stay whole) with a trailing …</summary>
    internal static string Cut(string line, int width)
    {
        line = line.Replace('\t', ' ').Replace("\r", "", StringComparison.Ordinal);
        var info = new StringInfo(line);
        return info.LengthInTextElements <= width ? line : info.SubstringByTextElements(0, width - 1) + "…";
    }
}

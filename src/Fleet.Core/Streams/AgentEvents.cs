namespace Fleet.Streams;

/// <summary>
/// One typed fact read from an agent's stream. A line may yield several events (an assistant line with
/// text and a tool call) or none (bookkeeping, unknown types). Fields are optional in the wire formats,
/// so most members are nullable here too.
/// </summary>
public abstract record AgentEvent;

// ---------------------------------------------------------------- both providers

/// <summary>Claude <c>system/init</c>: the session is known from here on.</summary>
public sealed record SessionStarted(
    string SessionId,
    string? Model,
    string? Cwd,
    string? PermissionMode,
    IReadOnlyList<string> Tools,
    string? Version) : AgentEvent;

/// <summary>
/// Text the agent wrote (Claude <c>text</c> block; Codex uses <see cref="AgentMessageItem"/>).
/// <c>ParentToolUseId</c> is non-null when a subagent wrote it.
/// </summary>
public sealed record AssistantText(string Text, string? ParentToolUseId) : AgentEvent;

/// <summary>A tool call (Claude <c>tool_use</c>); <paramref name="InputSummary"/> is one human line (command, path, query …).</summary>
public sealed record ToolCall(string Name, string Id, string InputSummary, string? ParentToolUseId) : AgentEvent;

/// <summary>A tool's result (Claude <c>tool_result</c>); <paramref name="Summary"/> is its first line.</summary>
public sealed record ToolResult(string ToolUseId, bool IsError, string Summary) : AgentEvent;

/// <summary>
/// Usage attached to a Claude <c>assistant</c> line. Partial by design: one per content block, with
/// non-final <c>output_tokens</c>. Never sum these; only <see cref="ClaudeResult"/> is final.
/// </summary>
public sealed record PartialUsage(string? MessageId, ClaudeUsage Usage) : AgentEvent;

/// <summary>
/// A failed model call (Claude synthetic assistant message, <c>model:"&lt;synthetic&gt;"</c> with <c>error</c>).
/// <c>Status</c> is the HTTP status when the text names one (<c>API Error: 400 …</c>); <c>Kind</c> is Claude's
/// error class (<c>unknown</c>, <c>server_error</c>, <c>rate_limit</c> …).
/// </summary>
public sealed record ApiError(int? Status, string? Kind, string Message) : AgentEvent;

/// <summary>Claude <c>system/api_retry</c>.</summary>
public sealed record ApiRetry(int? Attempt, int? MaxRetries, double? DelayMs, int? Status, string? Error) : AgentEvent;

/// <summary>Claude <c>system/compact_boundary</c>: the context was compacted.</summary>
public sealed record CompactBoundary(string? Trigger, long? PreTokens) : AgentEvent;

/// <summary>
/// Claude <c>result</c>, the last line; the only final word on cost, turns and failure. <c>Subtype</c> is
/// <c>success</c>, <c>error_max_turns</c>, <c>error_max_budget_usd</c>, <c>error_during_execution</c> …;
/// <c>IsError</c> decides failure, since <c>Subtype</c> says <c>success</c> on an API error.
/// </summary>
public sealed record ClaudeResult(
    string? SessionId,
    string Subtype,
    bool IsError,
    IReadOnlyList<string> Errors,
    decimal? TotalCostUsd,
    IReadOnlyDictionary<string, ModelUsage> ModelUsage,
    ClaudeUsage? Usage,
    int? NumTurns,
    long? DurationMs,
    long? DurationApiMs,
    int? ApiErrorStatus,
    string? ResultText,
    string? TerminalReason,
    IReadOnlyList<PermissionDenial> PermissionDenials) : AgentEvent;

/// <summary>One entry of Claude <c>result.permission_denials</c>.</summary>
public sealed record PermissionDenial(string ToolName, string? ToolUseId);

/// <summary>Claude token counts (<c>input_tokens</c> excludes cache reads and writes).</summary>
public sealed record ClaudeUsage(long InputTokens, long OutputTokens, long CacheReadInputTokens, long CacheCreationInputTokens);

/// <summary>One model's entry of Claude <c>result.modelUsage</c>.</summary>
public sealed record ModelUsage(
    long InputTokens,
    long OutputTokens,
    long CacheReadInputTokens,
    long CacheCreationInputTokens,
    long WebSearchRequests,
    decimal? CostUsd,
    long? ContextWindow,
    long? MaxOutputTokens);

// ---------------------------------------------------------------- codex exec --json and codex app-server

/// <summary>Codex <c>thread.started</c>; the thread id is what <c>exec resume</c> takes. Re-emitted, same id, on resume.</summary>
public sealed record ThreadStarted(string ThreadId) : AgentEvent;

/// <summary>Codex <c>turn.started</c>.</summary>
public sealed record TurnStarted : AgentEvent;

/// <summary>
/// Codex <c>turn.completed</c> (exec) or <c>turn/completed</c> with status <c>completed</c> (app-server).
/// <paramref name="CumulativeUsage"/> is the thread's running total, not the turn's; null from app-server, which
/// reports usage apart (<see cref="UsageUpdated"/>).
/// </summary>
public sealed record TurnCompleted(CodexUsage? CumulativeUsage) : AgentEvent;

/// <summary>Codex app-server <c>thread/tokenUsage/updated</c>: the thread's running total (<c>tokenUsage.total</c>), after each model call.</summary>
public sealed record UsageUpdated(CodexUsage CumulativeUsage) : AgentEvent;

/// <summary>Codex <c>turn.failed</c>; <paramref name="Message"/> is unwrapped when the API's JSON error body was passed through.</summary>
public sealed record TurnFailed(string Message) : AgentEvent;

/// <summary>Codex top-level <c>error</c> (fatal; distinct from the warning <see cref="ErrorItem"/>).</summary>
public sealed record StreamError(string Message) : AgentEvent;

/// <summary>Which of <c>item.started</c> / <c>item.updated</c> / <c>item.completed</c> carried an item.</summary>
public enum ItemPhase
{
    Started,
    Updated,
    Completed,
}

/// <summary>Codex <c>item.*</c> events.</summary>
public sealed record ItemEvent(ItemPhase Phase, CodexItem Item) : AgentEvent;

/// <summary>A Codex thread item; <paramref name="Id"/> is an exec-local counter (<c>item_3</c>).</summary>
public abstract record CodexItem(string Id);

public sealed record AgentMessageItem(string Id, string Text) : CodexItem(Id);

public sealed record ReasoningItem(string Id, string Text) : CodexItem(Id);

/// <summary>A shell command; <paramref name="Status"/> is <c>in_progress|completed|failed|declined</c>.</summary>
public sealed record CommandExecutionItem(string Id, string Command, int? ExitCode, string Status, string Output) : CodexItem(Id);

public sealed record FileChangeItem(string Id, IReadOnlyList<FileChange> Changes, string Status) : CodexItem(Id);

/// <summary>One changed path; <paramref name="Kind"/> is <c>add|delete|update</c>.</summary>
public sealed record FileChange(string Path, string Kind);

public sealed record McpToolCallItem(string Id, string Server, string Tool, string Status, string? Error) : CodexItem(Id);

public sealed record WebSearchItem(string Id, string Query) : CodexItem(Id);

public sealed record TodoListItem(string Id, int Done, int Total) : CodexItem(Id);

/// <summary>A non-fatal warning item (unknown model metadata, ignored config keys).</summary>
public sealed record ErrorItem(string Id, string Message) : CodexItem(Id);

/// <summary>An item type this reader does not model (kept so a viewer can still show something).</summary>
public sealed record OtherItem(string Id, string Type) : CodexItem(Id);

/// <summary>
/// Codex token usage. <see cref="CachedInputTokens"/> and <see cref="CacheWriteInputTokens"/> are subsets of
/// <see cref="InputTokens"/>; <see cref="ReasoningOutputTokens"/> is a subset of <see cref="OutputTokens"/>.
/// </summary>
public sealed record CodexUsage(
    long InputTokens,
    long CachedInputTokens,
    long CacheWriteInputTokens,
    long OutputTokens,
    long ReasoningOutputTokens)
{
    public static CodexUsage Zero { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Input billed at the full input price.</summary>
    public long UncachedInputTokens => Math.Max(0, InputTokens - CachedInputTokens);

    /// <summary>True when every count is at least <paramref name="other"/>'s: this can be a later snapshot of the same thread.</summary>
    public bool Covers(CodexUsage other) =>
        InputTokens >= other.InputTokens
        && CachedInputTokens >= other.CachedInputTokens
        && CacheWriteInputTokens >= other.CacheWriteInputTokens
        && OutputTokens >= other.OutputTokens
        && ReasoningOutputTokens >= other.ReasoningOutputTokens;

    public CodexUsage Minus(CodexUsage other) => new(
        InputTokens - other.InputTokens,
        CachedInputTokens - other.CachedInputTokens,
        CacheWriteInputTokens - other.CacheWriteInputTokens,
        OutputTokens - other.OutputTokens,
        ReasoningOutputTokens - other.ReasoningOutputTokens);
}

using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Fleet.Telemetry.Schema;

/// <summary>Which agent wrote the transcript a record was read from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AgentProvider>))]
public enum AgentProvider
{
    [JsonStringEnumMemberName("claude")]
    Claude,

    [JsonStringEnumMemberName("codex")]
    Codex,

    [JsonStringEnumMemberName("gemini")]
    Gemini,

    /// <summary>Fleet's own files (gates: the inbox's logs and the journal), not an agent's transcript.</summary>
    [JsonStringEnumMemberName("fleet")]
    Fleet,
}

/// <summary>Where a record came from: the file and its 1-based line (for a JSON-array file, the element's 1-based index).</summary>
public sealed record SourceRef(
    [property: Description("The transcript file, as ingested.")] string File,
    [property: Description("1-based line of the JSONL file (element index for a JSON-array file).")] long Line);

/// <summary>
/// What a fleet run adds to every record it ingests: the orchestrator passes these to
/// <c>TelemetryIngestor.IngestAsync</c>. All null for transcripts ingested outside a run.
/// </summary>
public sealed record RunTags(
    [property: Description("The run id (one launch of a fleet).")] string? Run = null,
    [property: Description("The fleet name.")] string? Fleet = null,
    [property: Description("The worker id.")] string? Worker = null,
    [property: Description("The iteration number, from 1.")] int? Iteration = null,
    [property: Description("The issue the worker's squad works on (team mode).")] string? Issue = null,
    [property: Description("True when the run was a rehearsal (fleet's scripted endpoint): its usage is no spend.")] bool Rehearsal = false)
{
    /// <summary>The run's arm of the memory experiment: <c>memory</c> or <c>no-memory</c>; null outside a run.</summary>
    [Description("The run's arm of the memory experiment: memory, or no-memory for a run without anything carried from earlier runs (null outside a run).")]
    public string? Arm { get; init; }

    public static RunTags None { get; } = new();
}

/// <summary>How a tool call ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ToolOutcome>))]
public enum ToolOutcome
{
    /// <summary>No result was seen (yet): the session ended or is still running.</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    [JsonStringEnumMemberName("ok")]
    Ok,

    [JsonStringEnumMemberName("error")]
    Error,

    /// <summary>A person rejected the call (or the plan it proposed).</summary>
    [JsonStringEnumMemberName("rejected")]
    Rejected,

    /// <summary>A permission rule or mode refused it without a person.</summary>
    [JsonStringEnumMemberName("denied")]
    Denied,
}

/// <summary>What an approval or rejection was about.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GateSubject>))]
public enum GateSubject
{
    [JsonStringEnumMemberName("tool")]
    Tool,

    [JsonStringEnumMemberName("plan")]
    Plan,
}

/// <summary>
/// One typed fact read from an agent's own transcript. Schema version <see cref="TelemetrySchema.Version"/>;
/// the <c>kind</c> property discriminates. Text fields (<c>text</c>, <c>input</c>, <c>answers</c>) are present
/// only when the privacy level allows them, and always after the secret masker.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(SessionRecord), "session")]
[JsonDerivedType(typeof(ModelCallRecord), "model_call")]
[JsonDerivedType(typeof(ToolCallRecord), "tool_call")]
[JsonDerivedType(typeof(HumanPromptRecord), "human_prompt")]
[JsonDerivedType(typeof(QuestionRecord), "question")]
[JsonDerivedType(typeof(AnswerRecord), "answer")]
[JsonDerivedType(typeof(ApprovalRecord), "approval")]
[JsonDerivedType(typeof(RejectionRecord), "rejection")]
[JsonDerivedType(typeof(PermissionDeniedRecord), "permission_denied")]
[JsonDerivedType(typeof(InterruptRecord), "interrupt")]
[JsonDerivedType(typeof(CompactionRecord), "compaction")]
[JsonDerivedType(typeof(ApiErrorRecord), "api_error")]
[JsonDerivedType(typeof(HumanGateRecord), "gate")]
public abstract record TelemetryRecord
{
    [Description("claude or codex.")]
    public required AgentProvider Provider { get; init; }

    [Description("Claude sessionId / Codex session (thread) id.")]
    public string? SessionId { get; init; }

    [Description("Subagent id when a subagent (Claude sidechain, Codex spawned thread) wrote it.")]
    public string? AgentId { get; init; }

    [Description("True for Claude sidechain (subagent) lines.")]
    public bool Sidechain { get; init; }

    [Description("When the agent wrote it (UTC), if the line says.")]
    public DateTimeOffset? Timestamp { get; init; }

    [Description("The file and line it was read from.")]
    public required SourceRef Source { get; init; }

    [Description("The fleet run that produced it, if any.")]
    public RunTags Tags { get; init; } = RunTags.None;

    /// <summary>The project folder it belongs to when the reader knows better than the file's path: the session's working folder, or the fleet root.</summary>
    [JsonIgnore]
    public string? Folder { get; init; }

    /// <summary>The discriminator as stored (<c>model_call</c> …).</summary>
    [JsonIgnore]
    public string Kind => this switch
    {
        SessionRecord => "session",
        ModelCallRecord => "model_call",
        ToolCallRecord => "tool_call",
        HumanPromptRecord => "human_prompt",
        QuestionRecord => "question",
        AnswerRecord => "answer",
        ApprovalRecord => "approval",
        RejectionRecord => "rejection",
        PermissionDeniedRecord => "permission_denied",
        InterruptRecord => "interrupt",
        CompactionRecord => "compaction",
        ApiErrorRecord => "api_error",
        HumanGateRecord => "gate",
        _ => throw new InvalidOperationException($"unknown record type {GetType().Name}"),
    };
}

/// <summary>A session (Claude transcript file, Codex rollout or stream) was seen.</summary>
public sealed record SessionRecord : TelemetryRecord
{
    [Description("Claude project folder (the cwd slug) or the session's working directory.")]
    public string? Project { get; init; }

    [Description("Version of the agent CLI that wrote it.")]
    public string? Version { get; init; }

    [Description("The agent's entry point: cli, sdk-cli, codex_exec, vscode …")]
    public string? Entrypoint { get; init; }

    [Description("Git branch at the start of the session.")]
    public string? GitBranch { get; init; }
}

/// <summary>One billable model call (a Claude API response after dedup, a Codex usage delta).</summary>
public sealed record ModelCallRecord : TelemetryRecord
{
    public string? Model { get; init; }

    [Description("Claude message.id (the dedup key with request_id); Codex: the session and the cumulative total the call reached (the same call in another copy of the rollout has the same).")]
    public string? MessageId { get; init; }

    [Description("Claude requestId.")]
    public string? RequestId { get; init; }

    [Description("Input tokens billed at the input price (Codex: input minus cached).")]
    public long InputTokens { get; init; }

    [Description("Output tokens (Codex: reasoning included).")]
    public long OutputTokens { get; init; }

    [Description("Cache writes with a 5-minute lifetime (or with no breakdown).")]
    public long CacheWrite5mTokens { get; init; }

    [Description("Cache writes with a 1-hour lifetime.")]
    public long CacheWrite1hTokens { get; init; }

    [Description("Cache reads (Codex: cached input).")]
    public long CacheReadTokens { get; init; }

    [Description("Reasoning output tokens (a subset of output; Codex only).")]
    public long ReasoningOutputTokens { get; init; }

    [Description("Claude usage.speed == fast (priced with a multiplier).")]
    public bool Fast { get; init; }

    [Description("Cost in USD from the price table in force (null when the model has no price).")]
    public decimal? CostUsd { get; init; }

    [Description("True when the model was not named and a fallback was assumed.")]
    public bool ModelAssumed { get; init; }

    [JsonIgnore]
    public long TotalTokens => InputTokens + OutputTokens + CacheWrite5mTokens + CacheWrite1hTokens + CacheReadTokens;
}

/// <summary>A tool call and how it ended.</summary>
public sealed record ToolCallRecord : TelemetryRecord
{
    public required string Name { get; init; }

    [Description("Claude tool_use id / Codex call_id.")]
    public string? ToolUseId { get; init; }

    public ToolOutcome Outcome { get; init; }

    [Description("The tool's input (privacy level redacted or full only).")]
    public string? Input { get; init; }
}

/// <summary>A prompt a person typed (not tool results, wrappers, injected context or interrupts).</summary>
public sealed record HumanPromptRecord : TelemetryRecord
{
    [Description("Length of the prompt in characters (always kept).")]
    public int Length { get; init; }

    [Description("Slash command name when the prompt was one (/compact …).")]
    public string? Command { get; init; }

    [Description("The prompt (privacy level redacted or full only).")]
    public string? Text { get; init; }
}

/// <summary>The agent asked the person (AskUserQuestion, request_user_input).</summary>
public sealed record QuestionRecord : TelemetryRecord
{
    public required string Tool { get; init; }

    public string? ToolUseId { get; init; }

    public int Questions { get; init; }

    [Description("The questions (privacy level redacted or full only).")]
    public string? Text { get; init; }
}

/// <summary>The person's answer to a question.</summary>
public sealed record AnswerRecord : TelemetryRecord
{
    public string? ToolUseId { get; init; }

    public int Answers { get; init; }

    [Description("The answers (privacy level redacted or full only).")]
    public string? Text { get; init; }
}

/// <summary>A person approved a plan (ExitPlanMode) or a tool call.</summary>
public sealed record ApprovalRecord : TelemetryRecord
{
    public GateSubject Subject { get; init; }

    public string? ToolUseId { get; init; }

    public string? ToolName { get; init; }
}

/// <summary>A person rejected a plan or a tool call.</summary>
public sealed record RejectionRecord : TelemetryRecord
{
    public GateSubject Subject { get; init; }

    public string? ToolUseId { get; init; }

    public string? ToolName { get; init; }

    [Description("What the person said with the rejection (privacy level redacted or full only).")]
    public string? Text { get; init; }
}

/// <summary>A tool call refused by a permission rule or mode, without a person.</summary>
public sealed record PermissionDeniedRecord : TelemetryRecord
{
    public string? ToolName { get; init; }

    public string? ToolUseId { get; init; }
}

/// <summary>A person interrupted the agent (Esc, Ctrl-C, Codex turn_aborted).</summary>
public sealed record InterruptRecord : TelemetryRecord
{
    [Description("user, user_for_tool_use, or Codex's reason (interrupted, replaced …).")]
    public required string Reason { get; init; }
}

/// <summary>The context was compacted.</summary>
public sealed record CompactionRecord : TelemetryRecord
{
    [Description("manual or auto, when known.")]
    public string? Trigger { get; init; }

    public long? PreTokens { get; init; }
}

/// <summary>A model call failed (Claude synthetic API-error message, Codex error event, stream error).</summary>
public sealed record ApiErrorRecord : TelemetryRecord
{
    public int? Status { get; init; }

    [Description("The agent's error class (rate_limit, server_error …).")]
    public string? ErrorKind { get; init; }

    [Description("The error message, secrets masked (kept at every level: it is the agent's text, not the person's).")]
    public string? Message { get; init; }
}

/// <summary>
/// A gate: a point where a person had to act, or a rule acted for them. From the inbox's logs
/// (<c>iterations/N/&lt;worker&gt;.gates.jsonl</c>: permission requests and questions) and from the journal
/// (escalations, pauses, resumes, kills, edits of a worker's <c>prompt.md</c> during the run). Provider <c>fleet</c>.
/// </summary>
public sealed record HumanGateRecord : TelemetryRecord
{
    [Description("The gate id: the inbox's <worker>-<iteration>-<seq>, or <kind>-<journal line> for the journal's gates.")]
    public required string GateId { get; init; }

    [Description("permission, question, escalation, pause, resume, kill, prompt_edit or steer (a person's fleet say or fleet interrupt).")]
    public required string GateKind { get; init; }

    [Description("The tool a permission or question was about (Bash, Write, AskUserQuestion …).")]
    public string? Tool { get; init; }

    [Description("What was asked: the exact command or file, the question, the escalation's reason (privacy level redacted or full only).")]
    public string? Asked { get; init; }

    [Description("allow, deny, answer, closed (the agent ended first), resumed, killed, paused, edited; for a steer say, say_now or interrupt; null while pending.")]
    public string? Decision { get; init; }

    [Description("person, rule (an allow or deny rule decided; no one was asked) or closed.")]
    public string? DecidedBy { get; init; }

    [Description("Who answered, when a person did and said who.")]
    public string? By { get; init; }

    [Description("The rule that decided, when one did.")]
    public string? Rule { get; init; }

    [Description("What the agent was told with a denial, or the answers to a question (privacy level redacted or full only).")]
    public string? Message { get; init; }

    [Description("When it was decided (UTC); null while pending.")]
    public DateTimeOffset? DecidedAt { get; init; }

    [Description("How long the agent (or the fleet) waited for the decision, in milliseconds.")]
    public long? WaitedMs { get; init; }
}

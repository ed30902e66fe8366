using System.Globalization;
using System.Text.Json;

namespace Fleet.Streams;

/// <summary>
/// Turns one line of <c>claude -p --output-format stream-json --verbose</c> (or the single object of
/// <c>--output-format json</c>) into typed events. Unknown types and subtypes yield nothing.
/// </summary>
public static class ClaudeStreamParser
{
    private const string SyntheticModel = "<synthetic>";

    /// <summary>Parses one line; returns false when the line is malformed (not a JSON object).</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, List<AgentEvent> events) => JsonLine.TryParseEvents(line, events, Parse);

    internal static void Parse(JsonElement root, List<AgentEvent> events)
    {
        switch (root.Str("type"))
        {
            case "system":
                ParseSystem(root, events);
                break;
            case "assistant":
                ParseAssistant(root, events);
                break;
            case "user":
                ParseUser(root, events);
                break;
            case "result":
                events.Add(ParseResult(root));
                break;
        }
    }

    private static void ParseSystem(JsonElement root, List<AgentEvent> events)
    {
        switch (root.Str("subtype"))
        {
            case "init" when root.Str("session_id") is { } sessionId:
                events.Add(new SessionStarted(
                    sessionId,
                    root.Str("model"),
                    root.Str("cwd"),
                    root.Str("permissionMode"),
                    root.Strings("tools"),
                    root.Str("claude_code_version")));
                break;
            case "api_retry":
                events.Add(new ApiRetry(
                    root.Int("attempt"),
                    root.Int("max_retries"),
                    root.Double("retry_delay_ms"),
                    root.Int("error_status"),
                    root.Str("error")));
                break;
            case "compact_boundary":
                var meta = root.Prop("compact_metadata");
                events.Add(new CompactBoundary(meta?.Str("trigger"), meta?.Long("pre_tokens")));
                break;
        }
    }

    private static void ParseAssistant(JsonElement root, List<AgentEvent> events)
    {
        if (root.Prop("message") is not { } message)
            return;

        var parent = root.Str("parent_tool_use_id");
        var synthetic = message.Str("model") == SyntheticModel;
        var errorKind = root.Str("error");
        var failed = errorKind is not null || (synthetic && TextOf(message).StartsWith("API Error", StringComparison.Ordinal));
        if (failed)
        {
            var text = TextOf(message);
            events.Add(new ApiError(StatusOf(text), errorKind, text.Length > 0 ? text : errorKind ?? "API error"));
            return;
        }

        foreach (var block in message.Array("content"))
        {
            switch (block.Str("type"))
            {
                case "text" when block.Str("text") is { Length: > 0 } text:
                    events.Add(new AssistantText(text, parent));
                    break;
                case "tool_use":
                    var name = block.Str("name") ?? "?";
                    events.Add(new ToolCall(name, block.Str("id") ?? "", ToolInput.Summarize(name, block.Prop("input")), parent));
                    break;
            }
        }

        if (!synthetic && message.Prop("usage") is { } usage)
            events.Add(new PartialUsage(message.Str("id"), UsageOf(usage)));
    }

    private static void ParseUser(JsonElement root, List<AgentEvent> events)
    {
        if (root.Prop("message")?.Prop("content") is not { ValueKind: JsonValueKind.Array } content)
            return;

        foreach (var block in content.EnumerateArray())
        {
            if (block.Str("type") != "tool_result")
                continue;
            events.Add(new ToolResult(
                block.Str("tool_use_id") ?? "",
                block.Bool("is_error") ?? false,
                ToolInput.FirstLine(ToolResultText(block))));
        }
    }

    private static ClaudeResult ParseResult(JsonElement root)
    {
        var modelUsage = new Dictionary<string, ModelUsage>(StringComparer.Ordinal);
        if (root.Prop("modelUsage") is { ValueKind: JsonValueKind.Object } models)
        {
            foreach (var model in models.EnumerateObject())
            {
                var m = model.Value;
                modelUsage[model.Name] = new ModelUsage(
                    m.Long("inputTokens") ?? 0,
                    m.Long("outputTokens") ?? 0,
                    m.Long("cacheReadInputTokens") ?? 0,
                    m.Long("cacheCreationInputTokens") ?? 0,
                    m.Long("webSearchRequests") ?? 0,
                    m.Decimal("costUSD"),
                    m.Long("contextWindow"),
                    m.Long("maxOutputTokens"));
            }
        }

        var denials = root.Array("permission_denials")
            .Select(d => new PermissionDenial(d.Str("tool_name") ?? "?", d.Str("tool_use_id")))
            .ToList();

        return new ClaudeResult(
            root.Str("session_id"),
            root.Str("subtype") ?? "",
            root.Bool("is_error") ?? false,
            root.Strings("errors"),
            root.Decimal("total_cost_usd"),
            modelUsage,
            root.Prop("usage") is { } usage ? UsageOf(usage) : null,
            root.Int("num_turns"),
            root.Long("duration_ms"),
            root.Long("duration_api_ms"),
            root.Int("api_error_status"),
            root.Str("result"),
            root.Str("terminal_reason"),
            denials);
    }

    private static ClaudeUsage UsageOf(JsonElement usage) => new(
        usage.Long("input_tokens") ?? 0,
        usage.Long("output_tokens") ?? 0,
        usage.Long("cache_read_input_tokens") ?? 0,
        usage.Long("cache_creation_input_tokens") ?? 0);

    private static string TextOf(JsonElement message) =>
        string.Concat(message.Array("content").Where(b => b.Str("type") == "text").Select(b => b.Str("text")));

    private static string ToolResultText(JsonElement block) =>
        block.Prop("content") switch
        {
            { ValueKind: JsonValueKind.String } s => s.GetString()!,
            { ValueKind: JsonValueKind.Array } a => string.Join('\n', a.EnumerateArray()
                .Where(b => b.Str("type") == "text")
                .Select(b => b.Str("text"))),
            _ => "",
        };

    /// <summary>The status in Claude's <c>API Error: 400 …</c> text.</summary>
    private static int? StatusOf(string text)
    {
        const string Prefix = "API Error: ";
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length < Prefix.Length + 3)
            return null;
        return int.TryParse(text.AsSpan(Prefix.Length, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var status) ? status : null;
    }
}

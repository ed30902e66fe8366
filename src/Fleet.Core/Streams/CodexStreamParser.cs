using System.Text;
using System.Text.Json;

namespace Fleet.Streams;

/// <summary>
/// Turns one line of <c>codex exec --json</c> into typed events. Unknown event
/// types yield nothing; unknown item types yield an <see cref="OtherItem"/>.
/// </summary>
public static class CodexStreamParser
{
    /// <summary>Parses one line; returns false when the line is malformed (not a JSON object).</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, List<AgentEvent> events) => JsonLine.TryParseEvents(line, events, Parse);

    internal static void Parse(JsonElement root, List<AgentEvent> events)
    {
        switch (root.Str("type"))
        {
            case "thread.started" when root.Str("thread_id") is { } threadId:
                events.Add(new ThreadStarted(threadId));
                break;
            case "turn.started":
                events.Add(new TurnStarted());
                break;
            case "turn.completed":
                events.Add(new TurnCompleted(UsageOf(root.Prop("usage"))));
                break;
            case "turn.failed":
                events.Add(new TurnFailed(Unwrap(root.Prop("error")?.Str("message") ?? "turn failed")));
                break;
            case "error":
                events.Add(new StreamError(Unwrap(root.Str("message") ?? "error")));
                break;
            case "item.started":
                AddItem(ItemPhase.Started, root, events);
                break;
            case "item.updated":
                AddItem(ItemPhase.Updated, root, events);
                break;
            case "item.completed":
                AddItem(ItemPhase.Completed, root, events);
                break;
        }
    }

    private static void AddItem(ItemPhase phase, JsonElement root, List<AgentEvent> events)
    {
        if (root.Prop("item") is { ValueKind: JsonValueKind.Object } item)
            events.Add(new ItemEvent(phase, ItemOf(item)));
    }

    private static CodexItem ItemOf(JsonElement item)
    {
        var id = item.Str("id") ?? "";
        var type = item.Str("type") ?? "";
        return type switch
        {
            "agent_message" => new AgentMessageItem(id, item.Str("text") ?? ""),
            "reasoning" => new ReasoningItem(id, item.Str("text") ?? ""),
            "command_execution" => new CommandExecutionItem(
                id,
                item.Str("command") ?? "",
                item.Int("exit_code"),
                item.Str("status") ?? "",
                item.Str("aggregated_output") ?? ""),
            "file_change" => new FileChangeItem(
                id,
                [.. item.Array("changes").Select(c => new FileChange(c.Str("path") ?? "", c.Str("kind") ?? ""))],
                item.Str("status") ?? ""),
            "mcp_tool_call" => new McpToolCallItem(
                id,
                item.Str("server") ?? "",
                item.Str("tool") ?? "",
                item.Str("status") ?? "",
                item.Prop("error") is { } error ? error.Str("message") ?? error.ToString() : null),
            "web_search" => new WebSearchItem(id, item.Str("query") ?? ""),
            "todo_list" => new TodoListItem(
                id,
                item.Array("items").Count(i => i.Bool("completed") == true),
                item.Array("items").Count()),
            "error" => new ErrorItem(id, item.Str("message") ?? ""),
            _ => new OtherItem(id, type),
        };
    }

    internal static CodexUsage UsageOf(JsonElement? usage) =>
        usage is not { ValueKind: JsonValueKind.Object } u
            ? CodexUsage.Zero
            : new CodexUsage(
                u.Long("input_tokens") ?? 0,
                u.Long("cached_input_tokens") ?? 0,
                u.Long("cache_write_input_tokens") ?? 0,
                u.Long("output_tokens") ?? 0,
                u.Long("reasoning_output_tokens") ?? 0);

    /// <summary>Codex passes the API's JSON error body through as the message; show its <c>error.message</c>.</summary>
    internal static string Unwrap(string message)
    {
        if (!message.TrimStart().StartsWith('{'))
            return message;
        var kind = JsonLine.TryParse(Encoding.UTF8.GetBytes(message), out var doc);
        if (kind != JsonLine.Kind.Object)
            return message;
        using (doc)
        {
            var root = doc!.RootElement;
            return root.Prop("error")?.Str("message") ?? root.Str("message") ?? message;
        }
    }
}

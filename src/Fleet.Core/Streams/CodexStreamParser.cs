using System.Text;
using System.Text.Json;

namespace Fleet.Streams;

/// <summary>
/// Turns one line of <c>codex exec --json</c>, or one JSON-RPC message of <c>codex app-server</c> (its stdout, as
/// the worker's log keeps it), into typed events. Unknown event types yield nothing; unknown item types yield an
/// <see cref="OtherItem"/>.
/// </summary>
public static class CodexStreamParser
{
    /// <summary>Parses one line; returns false when the line is malformed (not a JSON object).</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, List<AgentEvent> events) => JsonLine.TryParseEvents(line, events, Parse);

    internal static void Parse(JsonElement root, List<AgentEvent> events)
    {
        if (root.Str("method") is { } method)
        {
            ParseAppServer(method, root.Prop("params"), events);
            return;
        }

        // App-server's answer to thread/start or thread/resume names the thread (a resume sends no thread/started).
        if (root.Prop("result")?.Prop("thread")?.Str("id") is { } thread && root.Prop("id") is not null)
        {
            events.Add(new ThreadStarted(thread));
            return;
        }

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

    /// <summary>
    /// App-server notifications. A turn's failure is its <c>turn/completed</c> status (the <c>error</c> notification
    /// before it says the same, or announces a retry); an interrupted turn is neither done nor failed: the next one follows.
    /// </summary>
    private static void ParseAppServer(string method, JsonElement? parameters, List<AgentEvent> events)
    {
        if (parameters is not { ValueKind: JsonValueKind.Object } p)
            return;
        switch (method)
        {
            case "thread/started" when p.Prop("thread")?.Str("id") is { } threadId:
                events.Add(new ThreadStarted(threadId));
                break;
            case "turn/started":
                events.Add(new TurnStarted());
                break;
            case "thread/tokenUsage/updated" when p.Prop("tokenUsage")?.Prop("total") is { } total:
                events.Add(new UsageUpdated(UsageOf(total)));
                break;
            case "turn/completed":
                var turn = p.Prop("turn");
                switch (turn?.Str("status"))
                {
                    case "completed":
                        events.Add(new TurnCompleted(null));
                        break;
                    case "failed":
                        events.Add(new TurnFailed(Unwrap(turn?.Prop("error")?.Str("message") ?? "turn failed")));
                        break;
                }

                break;
            case "item/started":
                AddItem(ItemPhase.Started, p, events);
                break;
            case "item/completed":
                AddItem(ItemPhase.Completed, p, events);
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
            "agent_message" or "agentMessage" => new AgentMessageItem(id, item.Str("text") ?? ""),
            "reasoning" => new ReasoningItem(id, item.Str("text") ?? string.Join('\n', item.Array("summary").Select(t => t.ValueKind == JsonValueKind.String ? t.GetString() : null).OfType<string>())),
            "command_execution" or "commandExecution" => new CommandExecutionItem(
                id,
                item.Str("command") ?? "",
                item.Int("exit_code") ?? item.Int("exitCode"),
                item.Str("status") ?? "",
                item.Str("aggregated_output") ?? item.Str("aggregatedOutput") ?? ""),
            "file_change" or "fileChange" => new FileChangeItem(
                id,
                [.. item.Array("changes").Select(c => new FileChange(c.Str("path") ?? "", c.Str("kind") ?? c.Prop("kind")?.Str("type") ?? ""))],
                item.Str("status") ?? ""),
            "mcp_tool_call" or "mcpToolCall" => new McpToolCallItem(
                id,
                item.Str("server") ?? "",
                item.Str("tool") ?? "",
                item.Str("status") ?? "",
                item.Prop("error") is { } error ? error.Str("message") ?? error.ToString() : null),
            "web_search" or "webSearch" => new WebSearchItem(id, item.Str("query") ?? ""),
            "todo_list" or "todoList" => new TodoListItem(
                id,
                item.Array("items").Count(i => i.Bool("completed") == true),
                item.Array("items").Count()),
            "error" => new ErrorItem(id, item.Str("message") ?? ""),
            _ => new OtherItem(id, type),
        };
    }

    /// <summary>exec's snake_case usage or app-server's camelCase one.</summary>
    internal static CodexUsage UsageOf(JsonElement? usage) =>
        usage is not { ValueKind: JsonValueKind.Object } u
            ? CodexUsage.Zero
            : new CodexUsage(
                u.Long("input_tokens") ?? u.Long("inputTokens") ?? 0,
                u.Long("cached_input_tokens") ?? u.Long("cachedInputTokens") ?? 0,
                u.Long("cache_write_input_tokens") ?? u.Long("cacheWriteInputTokens") ?? 0,
                u.Long("output_tokens") ?? u.Long("outputTokens") ?? 0,
                u.Long("reasoning_output_tokens") ?? u.Long("reasoningOutputTokens") ?? 0);

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

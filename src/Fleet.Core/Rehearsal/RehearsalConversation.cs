using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fleet.Rehearsal;

/// <summary>
/// What the endpoint reads from a model request to decide which scripted step to play. The position is
/// <b>stateless</b>, read from the request's history since the last real user prompt (a user message that is neither
/// a tool result nor claude's structured-output reminder): each model response moves it on by one, and a response
/// whose tool call carries a rehearsal id sets it to one past the position that call was played at
/// (<see cref="RehearsalIds.PlayedPosition"/>), so a history the CLI shortened still says where the script is. A
/// retried request gets the same answer, a resumed session (new prompt) starts its script again from the top, and an
/// endpoint restart changes nothing.
/// <see cref="Prompt"/> is the text of that last real user prompt: a fresh worker's brief as the CLI sent it (codex's
/// environment context comes in a user message of its own, before it), or this iteration's brief in a resumed session.
/// </summary>
internal sealed partial record RehearsalConversation(int Position, string? Cwd, IReadOnlyList<string> ToolNames, string Model, bool Stream, string? Prompt = null)
{
    /// <summary>
    /// The user text the request brings since the model last spoke: the brief in a first request, a person's message
    /// the CLI passed on (claude puts one that arrived mid-turn beside the next tool result; codex's turn/steer adds
    /// a user message), else null. The CLIs' own reminders (<c>&lt;system-reminder&gt;</c>, the environment context) are left out.
    /// </summary>
    public string? Said { get; init; }

    /// <summary>The prompt is fleet's note that continues a session after a limit: the limit has reset.</summary>
    public bool ContinuesAfterLimit => Prompt?.Contains(Fleet.Limits.LimitContinuation.Marker, StringComparison.Ordinal) == true;

    /// <summary>Anthropic Messages request: <c>messages[]</c> of user/assistant turns; tool results are user messages.</summary>
    public static RehearsalConversation FromAnthropic(JsonElement body)
    {
        var position = 0;
        string? prompt = null;
        if (body.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                var role = Str(message, "role");
                if (role == "user" && !HasToolResult(message) && !IsStructuredOutputReminder(message))
                {
                    position = 0;
                    prompt = ContentText(message, "text");
                }
                else if (role == "assistant")
                {
                    position = PlayedPosition(message) is { } played ? played + 1 : position + 1;
                }
            }
        }

        string? cwd = null;
        if (body.TryGetProperty("system", out var system))
        {
            var text = system.ValueKind == JsonValueKind.String ? system.GetString() : system.GetRawText();
            var m = ClaudeCwd().Match(text ?? string.Empty);
            if (m.Success)
            {
                cwd = JsonUnescape(m.Groups[1].Value.Trim());
            }
        }

        string? said = null;
        if (body.TryGetProperty("messages", out var all) && all.ValueKind == JsonValueKind.Array && all.GetArrayLength() > 0
            && all[all.GetArrayLength() - 1] is var last && Str(last, "role") == "user")
        {
            said = UserText(last, "text");
        }

        return new RehearsalConversation(position, cwd, ReadToolNames(body), Str(body, "model") ?? "claude-rehearsal", IsStream(body), prompt) { Said = said };
    }

    /// <summary>OpenAI Responses request: <c>input[]</c> items; a model response is a run of items between tool outputs.</summary>
    public static RehearsalConversation FromOpenAI(JsonElement body)
    {
        var position = 0;
        string? cwd = null;
        string? prompt = null;
        var said = new List<string>();
        if (body.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Array)
        {
            var inModelRun = false;
            foreach (var item in input.EnumerateArray())
            {
                var type = Str(item, "type") ?? "message";
                var role = Str(item, "role");
                if (type == "message" && role is "user" or "developer" or "system")
                {
                    if (role == "user")
                    {
                        position = 0;
                        var m = CodexCwd().Match(item.GetRawText());
                        if (m.Success)
                        {
                            cwd = JsonUnescape(m.Groups[1].Value);
                        }
                        else
                        {
                            prompt = ContentText(item, "input_text");
                            if (UserText(item, "input_text") is { } text)
                            {
                                said.Add(text);
                            }
                        }
                    }

                    inModelRun = false;
                }
                else if (type.EndsWith("_output", StringComparison.Ordinal))
                {
                    inModelRun = false;
                }
                else
                {
                    said.Clear();
                    if (!inModelRun)
                    {
                        position++;
                        inModelRun = true;
                    }

                    if (type == "function_call" && RehearsalIds.PlayedPosition(Str(item, "call_id")) is { } played)
                    {
                        position = played + 1;
                    }
                }
            }
        }

        return new RehearsalConversation(position, cwd, ReadToolNames(body), Str(body, "model") ?? "rehearsal-model", IsStream(body), prompt)
        {
            Said = said.Count == 0 ? null : string.Join('\n', said),
        };
    }

    /// <summary>
    /// Claude 2.1.197 under <c>--json-schema</c>, when the model ends without calling StructuredOutput, sends one more
    /// user message starting with this marker. It is not a new prompt, so the script goes on instead of restarting.
    /// </summary>
    private static bool IsStructuredOutputReminder(JsonElement message) =>
        message.TryGetProperty("content", out var content)
        && content.ValueKind == JsonValueKind.Array
        && content.EnumerateArray().Any(b => Str(b, "type") == "text" && (Str(b, "text") ?? string.Empty).StartsWith("[structured-output-enforce]", StringComparison.Ordinal));

    /// <summary>The position a rehearsal endpoint played this assistant message's tool call at, if it carries one.</summary>
    private static int? PlayedPosition(JsonElement message) =>
        message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array
            ? content.EnumerateArray().Where(b => Str(b, "type") == "tool_use").Select(b => RehearsalIds.PlayedPosition(Str(b, "id"))).FirstOrDefault(p => p is not null)
            : null;

    private static bool HasToolResult(JsonElement message) =>
        message.TryGetProperty("content", out var content)
        && content.ValueKind == JsonValueKind.Array
        && content.EnumerateArray().Any(b => Str(b, "type") == "tool_result");

    /// <summary>A user message's own text: its text blocks without the CLI's reminders; null when it has none (a bare tool result).</summary>
    private static string? UserText(JsonElement message, string blockType)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return null;
        }

        IEnumerable<string> texts = content.ValueKind switch
        {
            JsonValueKind.String => [content.GetString() ?? string.Empty],
            JsonValueKind.Array => content.EnumerateArray().Where(b => Str(b, "type") == blockType).Select(b => Str(b, "text")).OfType<string>(),
            _ => [],
        };
        var own = texts.Where(t => !t.StartsWith("<system-reminder>", StringComparison.Ordinal) && t.Length > 0).ToList();
        return own.Count == 0 ? null : string.Join('\n', own);
    }

    /// <summary>A message's text: its string content, or its text blocks of <paramref name="blockType"/> joined by newlines.</summary>
    private static string? ContentText(JsonElement message, string blockType)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return null;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }

        return content.ValueKind == JsonValueKind.Array
            ? string.Join('\n', content.EnumerateArray().Where(b => Str(b, "type") == blockType).Select(b => Str(b, "text")).OfType<string>())
            : null;
    }

    private static List<string> ReadToolNames(JsonElement body)
    {
        var names = new List<string>();
        if (body.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                if ((Str(tool, "name") ?? Str(tool, "type")) is { } name)
                {
                    names.Add(name);
                }
            }
        }

        return names;
    }

    private static bool IsStream(JsonElement body) =>
        body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    // The cwd regexes run over raw JSON text, so undo JSON string escaping of what they captured.
    private static string JsonUnescape(string raw)
    {
        try
        {
            using var quoted = JsonDocument.Parse("\"" + raw + "\"");
            return quoted.RootElement.GetString() ?? raw;
        }
        catch (JsonException)
        {
            return raw;
        }
    }

    [GeneratedRegex(@"Primary working directory: ([^\r\n\\]+)")]
    private static partial Regex ClaudeCwd();

    [GeneratedRegex(@"<cwd>(.*?)</cwd>")]
    private static partial Regex CodexCwd();
}

using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fleet.Rehearsal;

/// <summary>
/// What the endpoint reads from a model request to decide which scripted step to play. The position is
/// <b>stateless</b>, read from the request's history since the last real user prompt (a user message that is neither
/// a tool result, nor claude's structured-output reminder, nor a person's message codex steered into the running turn):
/// each model response moves it on by one, and a response
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
        var said = new List<string>();
        if (body.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                var role = Str(message, "role");
                if (role == "user")
                {
                    if (!HasToolResult(message) && !IsStructuredOutputReminder(message))
                    {
                        position = 0;
                        prompt = ContentText(message, "text");
                    }

                    if (UserText(message, "text") is { } text)
                    {
                        said.Add(text);
                    }

                    said.AddRange(MessagesInToolResults(message));
                }
                else if (role == "assistant")
                {
                    said.Clear();
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

        return new RehearsalConversation(position, cwd, ReadToolNames(body), Str(body, "model") ?? "claude-rehearsal", IsStream(body), prompt)
        {
            Said = said.Count == 0 ? null : string.Join('\n', said),
        };
    }

    /// <summary>
    /// OpenAI Responses request: <c>input[]</c> items; a model response is a run of items between tool outputs. A user
    /// message right after a tool output is a person's message steered into the running turn (<c>turn/steer</c>, or a
    /// denial's message): the turn and its script go on. A user message after the model's last word, or after codex's
    /// note that the turn was interrupted, is a new prompt.
    /// </summary>
    public static RehearsalConversation FromOpenAI(JsonElement body)
    {
        var position = 0;
        string? cwd = null;
        string? prompt = null;
        var said = new List<string>();
        if (body.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Array)
        {
            var inModelRun = false;
            var turnRuns = false;
            foreach (var item in input.EnumerateArray())
            {
                var type = Str(item, "type") ?? "message";
                var role = Str(item, "role");
                if (type == "message" && role is "user" or "developer" or "system")
                {
                    if (role == "user")
                    {
                        var m = CodexCwd().Match(item.GetRawText());
                        if (m.Success)
                        {
                            position = 0;
                            cwd = JsonUnescape(m.Groups[1].Value);
                        }
                        else if (IsTurnAborted(item))
                        {
                            turnRuns = false;
                        }
                        else
                        {
                            if (!turnRuns)
                            {
                                position = 0;
                                prompt = ContentText(item, "input_text");
                            }

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
                    turnRuns = true;
                }
                else
                {
                    said.Clear();
                    turnRuns = false;
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
    /// Gemini API request: <c>contents[]</c> of user and model turns; a tool result is a user turn of
    /// <c>functionResponse</c> parts. The CLI's own <c>&lt;session_context&gt;</c> part (date, workspace folders, file tree)
    /// is neither the prompt nor a person's words; the workspace's first folder is the cwd. The model comes from the path.
    /// </summary>
    public static RehearsalConversation FromGemini(JsonElement body, string model)
    {
        var position = 0;
        string? prompt = null;
        string? cwd = null;
        var said = new List<string>();
        if (body.TryGetProperty("contents", out var contents) && contents.ValueKind == JsonValueKind.Array)
        {
            foreach (var content in contents.EnumerateArray())
            {
                var parts = content.TryGetProperty("parts", out var p) && p.ValueKind == JsonValueKind.Array ? [.. p.EnumerateArray()] : new List<JsonElement>();
                if (Str(content, "role") == "model")
                {
                    said.Clear();
                    var played = parts.Where(x => x.TryGetProperty("functionCall", out _)).Select(x => RehearsalIds.PlayedPosition(Str(x.GetProperty("functionCall"), "id"))).FirstOrDefault(x => x is not null);
                    position = played is { } at ? at + 1 : position + 1;
                    continue;
                }

                var texts = new List<string>();
                foreach (var text in parts.Select(x => Str(x, "text")).OfType<string>())
                {
                    var m = GeminiCwd().Match(text);
                    if (text.StartsWith("<session_context>", StringComparison.Ordinal))
                    {
                        cwd ??= m.Success ? m.Groups[1].Value.Trim() : null;
                    }
                    else if (text.Length > 0)
                    {
                        texts.Add(text);
                    }
                }

                if (texts.Count > 0)
                {
                    position = 0;
                    prompt = string.Join('\n', texts);
                    said.AddRange(texts);
                }
            }
        }

        var tools = new List<string>();
        if (body.TryGetProperty("tools", out var toolSets) && toolSets.ValueKind == JsonValueKind.Array)
        {
            foreach (var set in toolSets.EnumerateArray())
            {
                if (set.TryGetProperty("functionDeclarations", out var declarations) && declarations.ValueKind == JsonValueKind.Array)
                {
                    tools.AddRange(declarations.EnumerateArray().Select(d => Str(d, "name")).OfType<string>());
                }
            }
        }

        return new RehearsalConversation(position, cwd, tools, model, Stream: true, prompt)
        {
            Said = said.Count == 0 ? null : string.Join('\n', said),
        };
    }

    /// <summary>Codex's note, as a user message, that the person interrupted the turn before it (the next user message is a new turn).</summary>
    private static bool IsTurnAborted(JsonElement item) =>
        (ContentText(item, "input_text") ?? string.Empty).TrimStart().StartsWith("<turn_aborted>", StringComparison.Ordinal);

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

    /// <summary>
    /// A person's messages claude put inside tool results as reminders (with older models, e.g. claude-sonnet-4-5, it
    /// folds a mid-turn message into the tool result's text instead of a text block beside it).
    /// </summary>
    private static IEnumerable<string> MessagesInToolResults(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var block in content.EnumerateArray().Where(b => Str(b, "type") == "tool_result"))
        {
            List<string> texts = !block.TryGetProperty("content", out var result) ? []
                : result.ValueKind == JsonValueKind.String ? [result.GetString() ?? string.Empty]
                : result.ValueKind == JsonValueKind.Array ? [.. result.EnumerateArray().Select(b => Str(b, "text")).OfType<string>()]
                : [];
            foreach (var text in texts)
            {
                foreach (Match m in PersonInReminder().Matches(text))
                {
                    yield return m.Groups[1].Value.Trim();
                }
            }
        }
    }

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

    [GeneratedRegex(@"<system-reminder>\s*(The user sent a new message while you were working:.*?)</system-reminder>", RegexOptions.Singleline)]
    private static partial Regex PersonInReminder();

    [GeneratedRegex(@"Primary working directory: ([^\r\n\\]+)")]
    private static partial Regex ClaudeCwd();

    [GeneratedRegex(@"Workspace Directories:\*\*\s*\n\s*- ([^\r\n]+)")]
    private static partial Regex GeminiCwd();

    [GeneratedRegex(@"<cwd>(.*?)</cwd>")]
    private static partial Regex CodexCwd();
}

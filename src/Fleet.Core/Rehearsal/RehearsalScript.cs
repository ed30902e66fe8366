using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Spec;

namespace Fleet.Rehearsal;

/// <summary>Which iterations a rule applies to: one (<c>2</c>), from one on (<c>"2+"</c>), a range (<c>"1-3"</c>) or any (<c>"*"</c>).</summary>
public sealed record IterationMatch(int From, int? To)
{
    public static IterationMatch Any { get; } = new(1, null);

    public static IterationMatch Exactly(int iteration) => new(iteration, iteration);

    public static IterationMatch FromOn(int iteration) => new(iteration, null);

    public bool Matches(int iteration) => iteration >= From && (To is null || iteration <= To);

    public static bool TryParse(string text, out IterationMatch match)
    {
        match = Any;
        text = text.Trim();
        if (text == "*")
        {
            return true;
        }

        if (text.EndsWith('+') && TryInt(text[..^1], out var from))
        {
            match = FromOn(from);
            return true;
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0 && TryInt(text[..dash], out var a) && TryInt(text[(dash + 1)..], out var b) && b >= a)
        {
            match = new IterationMatch(a, b);
            return true;
        }

        if (TryInt(text, out var one))
        {
            match = Exactly(one);
            return true;
        }

        return false;
    }

    private static bool TryInt(string s, out int value) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 1;
}

/// <summary>
/// One rule of a script: the turns a matching worker plays, in order. Null/"*" fields match anything;
/// <see cref="Fleet"/> and <see cref="Worker"/> take '*' and '?' wildcards. <see cref="PromptContains"/> and
/// <see cref="PromptLacks"/> test the prompt the call answers (the worker's brief, see <see cref="RehearsalConversation"/>)
/// for an exact piece of text, so a script can play differently once a brief carries, say, a doctrine default.
/// </summary>
public sealed record RehearsalRule(
    IReadOnlyList<RehearsalTurn> Turns,
    string? Fleet = null,
    string? Worker = null,
    IterationMatch? Iteration = null,
    RehearsalProvider? Provider = null,
    string? PromptContains = null,
    string? PromptLacks = null)
{
    public bool Matches(RehearsalKey key, RehearsalProvider provider) => Matches(key, provider, null);

    /// <param name="prompt">The call's prompt; null (none found) contains nothing.</param>
    public bool Matches(RehearsalKey key, RehearsalProvider provider, string? prompt) =>
        Glob(Fleet, key.Fleet)
        && Glob(Worker, key.Worker)
        && (Iteration ?? IterationMatch.Any).Matches(key.Iteration)
        && (Provider is null || Provider == provider)
        && (PromptContains is null || (prompt?.Contains(PromptContains, StringComparison.Ordinal) ?? false))
        && (PromptLacks is null || !(prompt?.Contains(PromptLacks, StringComparison.Ordinal) ?? false));

    internal static bool Glob(string? pattern, string text)
    {
        if (pattern is null or "*")
        {
            return true;
        }

        return GlobAt(pattern, 0, text, 0);
    }

    private static bool GlobAt(string p, int pi, string t, int ti)
    {
        while (pi < p.Length)
        {
            var c = p[pi];
            if (c == '*')
            {
                for (var k = ti; k <= t.Length; k++)
                {
                    if (GlobAt(p, pi + 1, t, k))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (ti >= t.Length || (c != '?' && c != t[ti]))
            {
                return false;
            }

            pi++;
            ti++;
        }

        return ti == t.Length;
    }
}

/// <summary>A problem in a script file, with the JSON path where it is.</summary>
public sealed class RehearsalScriptException : Exception
{
    public RehearsalScriptException(string message)
        : base(message)
    {
    }

    public RehearsalScriptException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public RehearsalScriptException()
    {
    }
}

/// <summary>
/// What the rehearsal endpoint plays: an ordered list of rules, the first rule matching the call's
/// key (fleet, worker, iteration) and provider wins. JSON (snake_case):
/// <code>
/// { "rules": [
///     { "worker": "reviewer", "iteration": 1, "turns": [
///         { "type": "write_file", "path": "iterations/{iteration}/review.md", "content": "verdict: iterate\n",
///           "usage": { "input_tokens": 1000, "output_tokens": 50 } },
///         { "type": "text", "text": "Review written." } ] },
///     { "worker": "*", "turns": [ { "type": "shell", "command": "echo hi" },
///                                 { "type": "fail", "status": 529, "message": "overloaded", "times": 1 },
///                                 { "type": "text", "text": "done" } ] } ] }
/// </code>
/// Turn types: <c>text{text}</c>, <c>write_file{path,content}</c>, <c>edit_file{path,old_string,new_string}</c>,
/// <c>shell{command}</c>, <c>tool_call{name,input}</c>, <c>structured_output{value}</c>, <c>fail{status,message,error_type?,times?}</c>; every turn
/// takes <c>usage</c> and (tool turns) <c>say</c>. Rule fields: <c>fleet</c>, <c>worker</c>, <c>iteration</c>
/// (<c>2</c>, <c>"2+"</c>, <c>"1-3"</c>, <c>"*"</c>), <c>provider</c> (<c>claude</c>|<c>codex</c>),
/// <c>when_prompt_contains</c>/<c>when_prompt_lacks</c> (exact text in the prompt or not), <c>turns</c>.
/// </summary>
public sealed record RehearsalScript(IReadOnlyList<RehearsalRule> Rules)
{
    public RehearsalRule? Find(RehearsalKey key, RehearsalProvider provider) => Find(key, provider, null);

    /// <summary>The first rule matching the key, the provider and the call's prompt.</summary>
    public RehearsalRule? Find(RehearsalKey key, RehearsalProvider provider, string? prompt) =>
        Rules.FirstOrDefault(r => r.Matches(key, provider, prompt));

    /// <summary>Reads and parses a script file; every problem is reported as <c>FILE:LINE:COL: $.json.path: message</c>.</summary>
    public static RehearsalScript LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string json;
        try
        {
            json = Paths.InputFiles.ReadText(path, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RehearsalScriptException(e is Paths.InputFileException ? e.Message : $"{path}: cannot read the script: {e.Message}", e);
        }

        try
        {
            return Parse(json);
        }
        catch (RehearsalScriptException e)
        {
            var (line, column, message) = Locate(json, e.Message);
            throw new RehearsalScriptException($"{path}:{line}:{column}: {message}", e);
        }
    }

    /// <summary>Where a problem stands in the text: the parser's position for bad JSON, else the node its JSON path names.</summary>
    private static (int Line, int Column, string Message) Locate(string json, string message)
    {
        Validation.SourceNode document;
        try
        {
            document = Validation.SourceJson.Parse(json, lenient: true);
        }
        catch (Validation.SourceJsonException e)
        {
            return (e.Line, e.Column, $"not valid JSON: {e.Message}");
        }

        var cut = message.IndexOf(": ", StringComparison.Ordinal);
        var jsonPath = message.StartsWith('$') && cut > 0 ? message[..cut] : "$";
        var node = new Validation.SourcePaths(document).Locate(jsonPath);
        return (node.Line, node.Column, message);
    }

    public static RehearsalScript Parse(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new RehearsalScriptException($"not valid JSON: {e.Message}", e);
        }

        var obj = AsObject(root, "$");
        CheckKeys(obj, "$", "rules", "$schema");
        var rules = AsArray(Required(obj, "rules", "$"), "$.rules");
        var list = new List<RehearsalRule>();
        for (var i = 0; i < rules.Count; i++)
        {
            list.Add(ParseRule(rules[i], $"$.rules[{i}]"));
        }

        return new RehearsalScript(list);
    }

    private static RehearsalRule ParseRule(JsonNode? node, string at)
    {
        var obj = AsObject(node, at);
        CheckKeys(obj, at, "fleet", "worker", "iteration", "provider", "when_prompt_contains", "when_prompt_lacks", "turns");
        var turnsNode = AsArray(Required(obj, "turns", at), at + ".turns");
        var turns = new List<RehearsalTurn>();
        for (var i = 0; i < turnsNode.Count; i++)
        {
            turns.Add(ParseTurn(turnsNode[i], $"{at}.turns[{i}]"));
        }

        if (turns.Count == 0)
        {
            throw new RehearsalScriptException($"{at}.turns: a rule needs at least one turn");
        }

        IterationMatch? iteration = null;
        if (obj["iteration"] is JsonNode it)
        {
            var text = it.GetValueKind() switch
            {
                JsonValueKind.Number => it.ToJsonString(),
                JsonValueKind.String => it.GetValue<string>(),
                _ => throw new RehearsalScriptException($"{at}.iteration: expected a number or a string like \"2+\", \"1-3\" or \"*\""),
            };
            if (!IterationMatch.TryParse(text, out var m))
            {
                throw new RehearsalScriptException($"{at}.iteration: '{text}' is not an iteration (1), a start (\"2+\"), a range (\"1-3\") or \"*\"");
            }

            iteration = m;
        }

        RehearsalProvider? provider = OptionalString(obj, "provider", at) switch
        {
            null => null,
            "claude" => RehearsalProvider.Claude,
            "codex" => RehearsalProvider.Codex,
            "gemini" => RehearsalProvider.Gemini,
            var other => throw new RehearsalScriptException($"{at}.provider: '{other}' is not claude, codex or gemini"),
        };

        var contains = OptionalString(obj, "when_prompt_contains", at);
        var lacks = OptionalString(obj, "when_prompt_lacks", at);
        foreach (var (name, value) in new[] { ("when_prompt_contains", contains), ("when_prompt_lacks", lacks) })
        {
            if (value is { Length: 0 })
            {
                throw new RehearsalScriptException($"{at}.{name}: empty; give the text the prompt must {(name.EndsWith("contains", StringComparison.Ordinal) ? "contain" : "lack")}");
            }
        }

        return new RehearsalRule(turns, OptionalString(obj, "fleet", at), OptionalString(obj, "worker", at), iteration, provider, contains, lacks);
    }

    private static RehearsalTurn ParseTurn(JsonNode? node, string at)
    {
        var obj = AsObject(node, at);
        var type = RequiredString(obj, "type", at);
        RehearsalTurn turn;
        switch (type)
        {
            case "text":
                CheckKeys(obj, at, "type", "text", "usage");
                turn = new TextTurn(RequiredTemplate(obj, "text", at));
                break;
            case "write_file":
                CheckKeys(obj, at, "type", "path", "content", "usage", "say");
                turn = new WriteFileTurn(RequiredTemplate(obj, "path", at), RequiredTemplate(obj, "content", at));
                break;
            case "edit_file":
                CheckKeys(obj, at, "type", "path", "old_string", "new_string", "usage", "say");
                turn = new EditFileTurn(RequiredTemplate(obj, "path", at), RequiredTemplate(obj, "old_string", at), RequiredTemplate(obj, "new_string", at));
                break;
            case "shell":
                CheckKeys(obj, at, "type", "command", "usage", "say");
                turn = new ShellTurn(RequiredTemplate(obj, "command", at));
                break;
            case "tool_call":
                CheckKeys(obj, at, "type", "name", "input", "usage", "say");
                var input = obj["input"] is null ? new JsonObject() : AsObject(obj["input"], at + ".input").DeepClone().AsObject();
                turn = new ToolCallTurn(RequiredString(obj, "name", at), input);
                break;
            case "structured_output":
                CheckKeys(obj, at, "type", "value", "usage", "say");
                turn = new StructuredOutputTurn(AsObject(Required(obj, "value", at), at + ".value").DeepClone().AsObject());
                break;
            case "fail":
                CheckKeys(obj, at, "type", "status", "message", "error_type", "times", "usage");
                var status = RequiredInt(obj, "status", at);
                if (status is < 400 or > 599)
                {
                    throw new RehearsalScriptException($"{at}.status: {status} is not an HTTP error status (400-599)");
                }

                var times = obj["times"] is null ? (int?)null : RequiredInt(obj, "times", at);
                if (times is < 1)
                {
                    throw new RehearsalScriptException($"{at}.times: must be 1 or more (leave it out to fail every call)");
                }

                turn = new FailTurn(status, OptionalTemplate(obj, "message", at) ?? $"rehearsal: scripted HTTP {status}", OptionalString(obj, "error_type", at), times);
                break;
            case "usage_limit":
                CheckKeys(obj, at, "type", "resets_in_seconds");
                turn = new LimitTurn(LimitShape.UsageLimit, RequiredInt(obj, "resets_in_seconds", at));
                break;
            case "rate_limit":
                CheckKeys(obj, at, "type", "retry_after_seconds");
                turn = new LimitTurn(LimitShape.RateLimit, obj["retry_after_seconds"] is null ? null : RequiredInt(obj, "retry_after_seconds", at));
                break;
            case "overloaded":
                CheckKeys(obj, at, "type");
                turn = new LimitTurn(LimitShape.Overloaded, null);
                break;
            default:
                throw new RehearsalScriptException($"{at}.type: unknown turn type '{type}' (text, write_file, edit_file, shell, tool_call, structured_output, fail, usage_limit, rate_limit, overloaded)");
        }

        if (obj["usage"] is JsonNode usage)
        {
            turn = turn with { Usage = ParseUsage(usage, at + ".usage") };
        }

        if (OptionalTemplate(obj, "say", at) is { } say)
        {
            turn = turn with { Say = say };
        }

        return turn;
    }

    private static RehearsalUsage ParseUsage(JsonNode node, string at)
    {
        var obj = AsObject(node, at);
        CheckKeys(obj, at, "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "reasoning_output_tokens");
        long Get(string name) => obj[name] is null ? 0 : RequiredLong(obj, name, at);
        var usage = new RehearsalUsage(
            obj["input_tokens"] is null ? RehearsalUsage.Default.InputTokens : Get("input_tokens"),
            obj["output_tokens"] is null ? RehearsalUsage.Default.OutputTokens : Get("output_tokens"),
            Get("cache_creation_input_tokens"),
            Get("cache_read_input_tokens"),
            Get("reasoning_output_tokens"));
        if (usage.ReasoningOutputTokens > usage.OutputTokens)
        {
            throw new RehearsalScriptException($"{at}.reasoning_output_tokens: part of output_tokens, so it cannot exceed it");
        }

        return usage;
    }

    /// <summary>The placeholders a turn's text fields may use, braces included.</summary>
    public static IReadOnlyList<string> TurnPlaceholders { get; } = ["{cwd}", "{fleet}", "{iteration}", "{worker}"];

    private static string RequiredTemplate(JsonObject obj, string name, string at) =>
        OptionalTemplate(obj, name, at) ?? throw new RehearsalScriptException($"{at}.{name}: required");

    /// <summary>A text field the player fills in: a placeholder typo is an error here, never text in a turn.</summary>
    private static string? OptionalTemplate(JsonObject obj, string name, string at)
    {
        var text = OptionalString(obj, name, at);
        if (text is not null && Placeholders.Problems(text, [.. TurnPlaceholders]) is [var first, ..])
        {
            throw new RehearsalScriptException($"{at}.{name}: {first.Message}");
        }

        return text;
    }

    private static JsonObject AsObject(JsonNode? node, string at) =>
        node as JsonObject ?? throw new RehearsalScriptException($"{at}: expected an object");

    private static JsonArray AsArray(JsonNode? node, string at) =>
        node as JsonArray ?? throw new RehearsalScriptException($"{at}: expected an array");

    private static JsonNode Required(JsonObject obj, string name, string at) =>
        obj[name] ?? throw new RehearsalScriptException($"{at}.{name}: required");

    private static string RequiredString(JsonObject obj, string name, string at) =>
        OptionalString(obj, name, at) ?? throw new RehearsalScriptException($"{at}.{name}: required");

    private static string? OptionalString(JsonObject obj, string name, string at)
    {
        var node = obj[name];
        if (node is null)
        {
            return null;
        }

        return node.GetValueKind() == JsonValueKind.String
            ? node.GetValue<string>()
            : throw new RehearsalScriptException($"{at}.{name}: expected a string");
    }

    private static int RequiredInt(JsonObject obj, string name, string at)
    {
        var value = RequiredLong(obj, name, at);
        return value <= int.MaxValue ? (int)value : throw new RehearsalScriptException($"{at}.{name}: too large");
    }

    private static long RequiredLong(JsonObject obj, string name, string at)
    {
        var node = Required(obj, name, at);
        if (node is JsonValue v && v.TryGetValue<long>(out var l) && l >= 0)
        {
            return l;
        }

        if (node is JsonValue d && d.TryGetValue<double>(out var x) && x >= 0 && x == Math.Floor(x) && x <= long.MaxValue)
        {
            return (long)x;
        }

        throw new RehearsalScriptException($"{at}.{name}: expected a whole number of 0 or more");
    }

    private static void CheckKeys(JsonObject obj, string at, params string[] allowed)
    {
        foreach (var (name, _) in obj)
        {
            if (Array.IndexOf(allowed, name) < 0)
            {
                var near = Validation.DidYouMean.Suggest(name, allowed);
                var hint = near is null ? $"expected one of: {string.Join(", ", allowed)}" : $"did you mean '{near}'?";
                throw new RehearsalScriptException($"{at}.{name}: unknown key; {hint}");
            }
        }
    }
}

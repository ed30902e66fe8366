using System.Text.Json;

namespace Fleet.Streams;

/// <summary>One readable line for a tool's input or output.</summary>
internal static class ToolInput
{
    private const int MaxLength = 500;

    // The field that says what a call does, in the order a person would want it.
    private static readonly string[] TellingFields =
        ["command", "file_path", "notebook_path", "path", "pattern", "url", "query", "description", "prompt", "skill", "subject"];

    internal static string Summarize(string toolName, JsonElement? input)
    {
        if (input is not { ValueKind: JsonValueKind.Object } obj)
            return "";

        if (toolName == "AskUserQuestion"
            && obj.Array("questions").FirstOrDefault() is { ValueKind: JsonValueKind.Object } question
            && question.Str("question") is { } q)
        {
            return FirstLine(q);
        }

        foreach (var field in TellingFields)
        {
            if (obj.Str(field) is { Length: > 0 } value)
                return FirstLine(value);
        }

        var raw = obj.GetRawText();
        return raw == "{}" ? "" : FirstLine(raw);
    }

    /// <summary>The first non-empty line, without Claude's <c>&lt;tool_use_error&gt;</c> wrapper, marked with … when more followed.</summary>
    internal static string FirstLine(string text)
    {
        text = text.Replace("<tool_use_error>", "", StringComparison.Ordinal)
            .Replace("</tool_use_error>", "", StringComparison.Ordinal)
            .Trim();
        var lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
            return "";
        var first = lines[0].Length > MaxLength ? lines[0][..MaxLength] + "…" : lines[0];
        return lines.Length > 1 && !first.EndsWith('…') ? first + " …" : first;
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Gates.Inbox;

/// <summary>
/// The allow rule, in Claude's permission-rule syntax, that matches exactly one request: <c>Bash(npm test)</c>
/// for a command, <c>Write(/abs/path)</c> for a file, <c>WebFetch(domain:host)</c> for a fetch, the bare tool
/// name for tools whose rules take no specifier (an MCP tool, Glob, Grep …).
/// </summary>
public static class AlwaysRule
{
    private static readonly string[] PathTools = ["Write", "Edit", "MultiEdit", "Read"];

    public static string For(string tool, JsonObject? input)
    {
        ArgumentException.ThrowIfNullOrEmpty(tool);
        return tool switch
        {
            "Bash" when Text(input, "command") is { } command => $"Bash({command})",
            _ when PathTools.Contains(tool, StringComparer.Ordinal) && Text(input, "file_path") is { } path => $"{tool}({path})",
            "NotebookEdit" when Text(input, "notebook_path") is { } notebook => $"NotebookEdit({notebook})",
            "WebFetch" when Text(input, "url") is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host.Length > 0 => $"WebFetch(domain:{uri.Host})",
            _ => tool,
        };
    }

    private static string? Text(JsonObject? input, string key) =>
        input?[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { Length: > 0 } text ? text : null;
}

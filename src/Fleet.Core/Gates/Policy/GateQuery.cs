using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Gates.Policy;

/// <summary>One tool use an agent asks to make, as the policy sees it.</summary>
/// <param name="Tool">The tool name, e.g. <c>Bash</c>, <c>Write</c>.</param>
/// <param name="Input">The tool input as the agent sent it (not masked: rules match the real values).</param>
/// <param name="WorkingDirectory">The agent's working directory: relative paths and "outside the worktree" are judged from here.</param>
public sealed record GateQuery(string Tool, JsonObject? Input, string WorkingDirectory)
{
    /// <summary>Bash: the command.</summary>
    public string? Command => Tool == "Bash" ? Text("command") : null;

    /// <summary>File tools: the path the tool touches.</summary>
    public string? Path => Text("file_path") ?? Text("notebook_path") ?? (GateRule.IsFileTool(Tool) ? Text("path") : null);

    /// <summary>WebFetch: the URL.</summary>
    public string? Url => Text("url");

    /// <summary>True for AskUserQuestion: a question for a person, not a permission.</summary>
    public bool IsQuestion => Tool == "AskUserQuestion";

    /// <summary>One line a person can judge: the exact command, the file, the URL or the question.</summary>
    public string Summary
    {
        get
        {
            if (Command is { } command)
            {
                return command;
            }

            if (Path is { } path)
            {
                var full = System.IO.Path.GetFullPath(path, WorkingDirectory);
                var relative = System.IO.Path.GetRelativePath(WorkingDirectory, full);
                return relative.StartsWith("..", StringComparison.Ordinal) ? full : relative;
            }

            if (Url is { } url)
            {
                return url;
            }

            if (IsQuestion && Input?["questions"] is JsonArray questions && questions.Count > 0)
            {
                var first = questions[0]?["question"]?.GetValue<string>() ?? "(a question)";
                return questions.Count == 1 ? first : $"{first} (+{questions.Count - 1} more)";
            }

            var json = Input?.ToJsonString() ?? "{}";
            return json.Length <= 200 ? json : json[..200] + "…";
        }
    }

    private string? Text(string name) =>
        Input?[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}

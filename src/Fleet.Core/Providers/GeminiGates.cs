using System.Text.Json.Nodes;
using Fleet.Gates.Policy;
using Fleet.Spec;

namespace Fleet.Providers;

/// <summary>
/// How fleet gates a gemini worker. Gemini CLI 0.61.0 asks a host about a tool call only in ACP mode (<c>--acp</c>):
/// headless <c>-p</c> never asks (a tool its <c>--approval-mode</c> would ask about is not offered to the model at
/// all). So fleet runs gemini under ACP with <c>--approval-mode default</c>, where every call gemini does not itself
/// count as safe (reads, searches) comes to the shim as <c>session/request_permission</c>, and fleet's policy decides
/// it as it decides claude's. The worker's permission mode is applied by fleet, not by gemini: what the mode runs
/// unasked (edits under <c>acceptEdits</c>, everything under <c>bypassPermissions</c>) is allowed where no rule says
/// otherwise, while deny rules and destructive and opaque commands still hold.
/// </summary>
public static class GeminiGates
{
    /// <summary>One line for <c>fleet doctor</c>.</summary>
    public const string Summary =
        "gemini workers run under ACP (gemini --acp): every tool call gemini would ask about comes to fleet's gates and inbox; reads and searches gemini counts as safe run unasked";

    /// <summary>Gemini's own approval mode for a worker: <c>plan</c> keeps it read-only; otherwise <c>default</c>, so fleet decides.</summary>
    public static string ApprovalMode(PermissionMode mode) => mode == PermissionMode.Plan ? "plan" : "default";

    /// <summary>What a gemini worker under <paramref name="mode"/> has gated, for <c>fleet launch --dry-run</c>.</summary>
    public static string Describe(PermissionMode mode) => mode switch
    {
        PermissionMode.Plan => "gemini --approval-mode plan: read-only tools only; nothing is written or run",
        PermissionMode.BypassPermissions or PermissionMode.Auto or PermissionMode.DontAsk =>
            $"every tool call comes to fleet's gates; {mode.Name()} allows what no rule matches, deny rules and destructive or opaque commands still stop",
        PermissionMode.AcceptEdits =>
            "every tool call comes to fleet's gates; acceptEdits allows edits in the working directory that no rule matches, shell commands follow the rules or ask a person",
        _ => "every tool call comes to fleet's gates; what no rule allows asks a person",
    };

    /// <summary>
    /// What runs <paramref name="request"/> unasked under <paramref name="mode"/> where no rule of the fleet's matches;
    /// null when a person decides it. As claude's <c>acceptEdits</c>, gemini's runs edits only inside the worker's
    /// working directory.
    /// </summary>
    public static Unasked? UnaskedBy(PermissionMode mode, GeminiToolRequest request, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(workingDirectory);
        return mode switch
        {
            PermissionMode.BypassPermissions or PermissionMode.Auto or PermissionMode.DontAsk =>
                new Unasked($"permission_mode {mode.Name()}", $"the worker's permission mode {mode.Name()} runs it unasked"),
            PermissionMode.AcceptEdits when request.Kind is "edit" or "delete" or "move"
                && request.AlsoFor.Prepend(request.Input).All(i => Inside(i["file_path"]?.GetValue<string>(), workingDirectory)) =>
                new Unasked("permission_mode acceptEdits", "the worker's permission mode acceptEdits runs edits in its working directory unasked"),
            _ => null,
        };
    }

    private static bool Inside(string? path, string workingDirectory)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workingDirectory)) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(path, workingDirectory).StartsWith(root, StringComparison.Ordinal);
    }

    /// <summary>
    /// An ACP permission request's tool call as fleet's rules see it: <c>execute</c> is <c>Bash</c> with the command
    /// (gemini's title for a shell call is the command itself), <c>edit</c>/<c>delete</c>/<c>move</c> are <c>Write</c>
    /// (a new file) or <c>Edit</c> with each path the call touches, <c>read</c>/<c>search</c> are <c>Read</c>,
    /// <c>fetch</c> is <c>WebFetch</c>; any other kind keeps its title as the description of a tool named after it.
    /// </summary>
    public static GeminiToolRequest Request(JsonObject? toolCall)
    {
        var kind = Text(toolCall, "kind");
        var title = Text(toolCall, "title") ?? string.Empty;
        var content = (toolCall?["content"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var paths = content.Where(c => Text(c, "type") == "diff").Select(c => Text(c, "path"))
            .Concat((toolCall?["locations"] as JsonArray ?? []).OfType<JsonObject>().Select(l => Text(l, "path")))
            .OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        switch (kind)
        {
            case "execute":
                var command = new JsonObject { ["command"] = title };
                return new GeminiToolRequest(kind, "Bash", command, []);
            case "edit" or "delete" or "move":
                var added = content.Any(c => Text(c, "type") == "diff" && Text(c["_meta"] as JsonObject, "kind") == "add");
                var tool = added && kind == "edit" ? "Write" : "Edit";
                var files = paths.Count == 0 ? [title] : paths;
                return new GeminiToolRequest(kind, tool, new JsonObject { ["file_path"] = files[0] }, [.. files.Skip(1).Select(f => new JsonObject { ["file_path"] = f })]);
            case "read" or "search":
                return new GeminiToolRequest(kind, "Read", new JsonObject { ["file_path"] = paths.FirstOrDefault() ?? title }, []);
            case "fetch":
                return new GeminiToolRequest(kind, "WebFetch", new JsonObject { ["url"] = title }, []);
            default:
                var name = string.IsNullOrEmpty(kind) ? "Other" : char.ToUpperInvariant(kind[0]) + kind[1..];
                return new GeminiToolRequest(kind, name, new JsonObject { ["description"] = title }, []);
        }
    }

    /// <summary>The option that answers a permission request: the first of <paramref name="optionKind"/> offered, else gemini's own id for it.</summary>
    public static string Option(JsonArray? options, string optionKind)
    {
        var offered = (options ?? []).OfType<JsonObject>().FirstOrDefault(o => Text(o, "kind") == optionKind);
        return Text(offered, "optionId") ?? (optionKind.StartsWith("allow", StringComparison.Ordinal) ? "proceed_once" : "cancel");
    }

    private static string? Text(JsonObject? node, string name) =>
        node?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

/// <summary>A gemini tool call in the rules' terms.</summary>
/// <param name="Kind">The ACP tool kind gemini gave (<c>execute</c>, <c>edit</c> …).</param>
/// <param name="Tool">The tool name the rules match: <c>Bash</c>, <c>Edit</c>, <c>Write</c>, <c>Read</c>, <c>WebFetch</c> ….</param>
/// <param name="Input">The input the rules match (<c>command</c>, <c>file_path</c>, <c>url</c>).</param>
/// <param name="AlsoFor">The further files the same call touches: each must pass as well.</param>
public sealed record GeminiToolRequest(string? Kind, string Tool, JsonObject Input, IReadOnlyList<JsonObject> AlsoFor);

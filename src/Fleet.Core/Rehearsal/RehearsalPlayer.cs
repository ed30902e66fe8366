using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Spec;

namespace Fleet.Rehearsal;

/// <summary>What the endpoint answers to one model call.</summary>
internal abstract record RehearsalStep(RehearsalUsage Usage);

internal sealed record TextStep(string Text, RehearsalUsage Usage) : RehearsalStep(Usage);

internal sealed record ToolStep(string? Say, string Name, JsonObject Input, RehearsalUsage Usage) : RehearsalStep(Usage);

internal sealed record FailStep(int Status, string ErrorType, string Message, int? Times, RehearsalUsage Usage) : RehearsalStep(Usage);

/// <summary>A limit; <see cref="ResetsAt"/> is the reset (usage limit) or the retry-after (rate limit), from the call's time.</summary>
internal sealed record LimitStep(LimitShape Shape, DateTimeOffset? ResetsAt, RehearsalUsage Usage) : RehearsalStep(Usage);

/// <summary>
/// Turns a script into the answer for one call: picks the rule for the key, expands its turns into
/// provider-specific steps, and plays the step at the conversation's position (see <see cref="RehearsalConversation"/>).
/// A fail step does not produce a model response, so it sits between positions: while it has failures left
/// (all of them when <c>times</c> is not given), the call at its position fails; then the script goes on.
/// </summary>
internal sealed class RehearsalPlayer
{
    private const string FailOutcomeStart = "step ";
    private const string FailOutcomeMiddle = ": fail ";

    private readonly RehearsalScript script;
    private readonly ConcurrentDictionary<string, int> _failuresServed = new(StringComparer.Ordinal);

    /// <param name="script">What to play.</param>
    /// <param name="earlier">The calls earlier endpoints of this run answered: the failures they served count against a
    /// fail turn's <c>times</c>, so a restarted endpoint does not fail those calls again.</param>
    public RehearsalPlayer(RehearsalScript script, IEnumerable<RehearsalLogEntry>? earlier = null)
    {
        this.script = script;
        foreach (var entry in earlier ?? [])
        {
            if (entry.Key is { } key && FailedStep(entry.Outcome) is { } step)
            {
                _failuresServed.AddOrUpdate(FailureId(key, step), 1, (_, n) => n + 1);
            }
        }
    }

    /// <summary>The step a logged outcome says failed (<c>step 2: fail 529</c>), or null.</summary>
    internal static int? FailedStep(string outcome)
    {
        var middle = outcome.IndexOf(FailOutcomeMiddle, StringComparison.Ordinal);
        return outcome.StartsWith(FailOutcomeStart, StringComparison.Ordinal) && middle > FailOutcomeStart.Length
            && int.TryParse(outcome.AsSpan(FailOutcomeStart.Length, middle - FailOutcomeStart.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step)
            ? step
            : null;
    }

    private static string FailureId(string key, int step) => string.Create(CultureInfo.InvariantCulture, $"{key}#{step}");

    public RehearsalStep Decide(RehearsalKey key, RehearsalProvider provider, RehearsalConversation conversation, out string description)
    {
        var rule = script.Find(key, provider, conversation.Prompt);
        if (rule is null)
        {
            description = "no rule";
            return new FailStep(400, "invalid_request_error", $"rehearsal: no script rule matches fleet '{key.Fleet}' worker '{key.Worker}' iteration {key.Iteration} ({Name(provider)})", null, RehearsalUsage.Default);
        }

        var steps = new List<RehearsalStep>();
        foreach (var turn in rule.Turns)
        {
            steps.AddRange(Expand(turn, key, provider, conversation));
        }

        var position = 0;
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            if (step is LimitStep limit)
            {
                if (position == conversation.Position && !conversation.ContinuesAfterLimit)
                {
                    description = string.Create(CultureInfo.InvariantCulture, $"step {i}: limit {limit.Shape}");
                    return limit;
                }

                continue;
            }

            if (step is FailStep fail)
            {
                if (position == conversation.Position && TryServeFailure(key, i, fail.Times))
                {
                    description = string.Create(CultureInfo.InvariantCulture, $"{FailOutcomeStart}{i}{FailOutcomeMiddle}{fail.Status}");
                    return fail;
                }

                continue;
            }

            if (position == conversation.Position)
            {
                description = string.Create(CultureInfo.InvariantCulture, $"step {i}: {(step is ToolStep t ? "tool " + t.Name : "text")}");
                return step;
            }

            position++;
        }

        description = "script exhausted";
        return new TextStep($"rehearsal: the script for {key} has no more turns.", RehearsalUsage.Default);
    }

    private bool TryServeFailure(RehearsalKey key, int stepIndex, int? times)
    {
        if (times is null)
        {
            return true;
        }

        var id = FailureId(key.ToString(), stepIndex);
        var served = false;
        _failuresServed.AddOrUpdate(id, _ => { served = true; return 1; }, (_, n) =>
        {
            served = n < times;
            return served ? n + 1 : n;
        });
        return served;
    }

    internal static IEnumerable<RehearsalStep> Expand(RehearsalTurn turn, RehearsalKey key, RehearsalProvider provider, RehearsalConversation conversation)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["{fleet}"] = key.Fleet,
            ["{worker}"] = key.Worker,
            ["{iteration}"] = key.Iteration.ToString(CultureInfo.InvariantCulture),
            ["{cwd}"] = conversation.Cwd ?? ".",
        };
        string Fill(string s) => Placeholders.Expand(s, values);

        var say = turn.Say is null ? null : Fill(turn.Say);
        var usage = turn.Usage;
        switch (turn)
        {
            case TextTurn t:
                yield return new TextStep(Fill(t.Text), usage);
                break;
            case FailTurn f:
                yield return new FailStep(f.Status, f.EffectiveErrorType, Fill(f.Message), f.Times, usage);
                break;
            case LimitTurn l:
                yield return new LimitStep(l.Shape, l.ResetsInSeconds is { } seconds ? DateTimeOffset.UtcNow.AddSeconds(seconds) : null, usage);
                break;
            case ToolCallTurn c:
                yield return new ToolStep(say, c.Name, (JsonObject)c.Input.DeepClone(), usage);
                break;
            case StructuredOutputTurn o when provider == RehearsalProvider.Claude && conversation.ToolNames.Contains(StructuredOutputTurn.ClaudeToolName):
                yield return new ToolStep(say, StructuredOutputTurn.ClaudeToolName, (JsonObject)o.Value.DeepClone(), usage);
                break;
            case StructuredOutputTurn o:
                // Codex sends the schema as the response's text format, so its answer is the message text; so is
                // claude's when it was not given --json-schema.
                yield return new TextStep(o.Value.ToJsonString(Wire.JsonOptions), usage);
                break;
            case ShellTurn s when provider == RehearsalProvider.Gemini:
                yield return new ToolStep(say, "run_shell_command", new JsonObject { ["command"] = Fill(s.Command), ["description"] = "Run a rehearsal command" }, usage);
                break;
            case WriteFileTurn w when provider == RehearsalProvider.Gemini:
                yield return new ToolStep(say, "write_file", new JsonObject { ["file_path"] = Absolute(Fill(w.Path), conversation), ["content"] = Fill(w.Content) }, usage);
                break;
            case EditFileTurn e when provider == RehearsalProvider.Gemini:
                yield return new ToolStep(say, "replace", new JsonObject
                {
                    ["file_path"] = Absolute(Fill(e.Path), conversation), ["instruction"] = "Rehearsal edit", ["old_string"] = Fill(e.OldString), ["new_string"] = Fill(e.NewString),
                }, usage);
                break;
            case ShellTurn s when provider == RehearsalProvider.Claude:
                yield return new ToolStep(say, "Bash", new JsonObject { ["command"] = Fill(s.Command), ["description"] = "Run a rehearsal command" }, usage);
                break;
            case ShellTurn s:
                yield return CodexShell(say, Fill(s.Command), conversation, usage);
                break;
            case WriteFileTurn w when provider == RehearsalProvider.Claude:
                yield return new ToolStep(say, "Write", new JsonObject { ["file_path"] = Absolute(Fill(w.Path), conversation), ["content"] = Fill(w.Content) }, usage);
                break;
            case WriteFileTurn w:
                yield return CodexShell(say, WriteCommand(Fill(w.Path), Fill(w.Content)), conversation, usage);
                break;
            case EditFileTurn e when provider == RehearsalProvider.Claude:
                // Claude's Edit refuses a file the session has not read, so read it first.
                var path = Absolute(Fill(e.Path), conversation);
                yield return new ToolStep(say, "Read", new JsonObject { ["file_path"] = path }, usage);
                yield return new ToolStep(null, "Edit", new JsonObject { ["file_path"] = path, ["old_string"] = Fill(e.OldString), ["new_string"] = Fill(e.NewString), ["replace_all"] = false }, usage);
                break;
            case EditFileTurn e:
                yield return CodexShell(say, PatchCommand(Fill(e.Path), Fill(e.OldString), Fill(e.NewString)), conversation, usage);
                break;
            default:
                throw new InvalidOperationException($"unknown turn {turn.GetType().Name}");
        }
    }

    /// <summary>Codex's shell tool as the request offers it: exec_command (0.169), shell_command, or the older shell.</summary>
    private static ToolStep CodexShell(string? say, string command, RehearsalConversation conversation, RehearsalUsage usage)
    {
        var tools = conversation.ToolNames;
        if (!tools.Contains("exec_command") && tools.Contains("shell_command"))
        {
            return new ToolStep(say, "shell_command", new JsonObject { ["command"] = command }, usage);
        }

        if (!tools.Contains("exec_command") && tools.Contains("shell"))
        {
            return new ToolStep(say, "shell", new JsonObject { ["command"] = new JsonArray("bash", "-lc", command) }, usage);
        }

        return new ToolStep(say, "exec_command", new JsonObject { ["cmd"] = command }, usage);
    }

    private static string Absolute(string path, RehearsalConversation conversation) =>
        Path.IsPathRooted(path) || conversation.Cwd is null ? path : Path.Combine(conversation.Cwd, path);

    internal static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A shell command that writes exactly <paramref name="content"/> to <paramref name="path"/>.</summary>
    internal static string WriteCommand(string path, string content)
    {
        var dir = Path.GetDirectoryName(path);
        var mkdir = string.IsNullOrEmpty(dir) ? string.Empty : $"mkdir -p {Quote(dir)} && ";
        return $"{mkdir}printf '%s' {Quote(content)} > {Quote(path)}";
    }

    /// <summary>An <c>apply_patch</c> heredoc, which codex intercepts from its shell tool and applies itself.</summary>
    internal static string PatchCommand(string path, string oldString, string newString)
    {
        var sb = new StringBuilder();
        sb.Append("apply_patch <<'FLEET_PATCH'\n*** Begin Patch\n*** Update File: ").Append(path).Append("\n@@\n");
        foreach (var line in Lines(oldString))
        {
            sb.Append('-').Append(line).Append('\n');
        }

        foreach (var line in Lines(newString))
        {
            sb.Append('+').Append(line).Append('\n');
        }

        sb.Append("*** End Patch\nFLEET_PATCH");
        return sb.ToString();
    }

    private static string[] Lines(string s) => s.TrimEnd('\n').Split('\n');

    internal static string Name(RehearsalProvider provider) => provider switch
    {
        RehearsalProvider.Claude => "claude",
        RehearsalProvider.Codex => "codex",
        _ => "gemini",
    };

    /// <summary>The wire an agent provider's CLI speaks.</summary>
    internal static RehearsalProvider ProviderOf(Provider provider) => provider switch
    {
        Provider.Codex => RehearsalProvider.Codex,
        Provider.Gemini => RehearsalProvider.Gemini,
        _ => RehearsalProvider.Claude,
    };
}

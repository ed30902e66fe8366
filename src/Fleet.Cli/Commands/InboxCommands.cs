using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Cli.Hosting;
using Fleet.Gates;
using Fleet.Gates.Inbox;
using Fleet.Providers;
using Fleet.State;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet inbox</c>, <c>approve</c>, <c>deny</c> and <c>answer</c>: the human gates. They read and write the
/// inbox's files only (<see cref="GatePaths"/>), so they work whether or not the orchestrator runs.
/// </summary>
internal static class InboxCommands
{
    public static Command Inbox(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var all = new Option<bool>("--all") { Description = "Every gate of the root, closed ones included, with how it ended." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("inbox", "The gates waiting for a person: permission requests and questions from workers, with the commands that answer them.") { root, all, json };
        command.SetAction(async (parse, _) =>
        {
            var displayRoot = parse.GetValue(root)!;
            var layout = Layout(console, displayRoot);
            var now = TimeProvider.System.GetUtcNow();
            var gates = parse.GetValue(all) ? GateInbox.List(layout) : GateInbox.List(layout).Where(g => g.State is InboxGateState.Open or InboxGateState.Answered).ToList();
            if (parse.GetValue(json))
            {
                await CommandHelpers.WriteJsonAsync(console, [.. gates.Select(g => ToJson(g, layout.Root, now))], RunJsonContext.Default.ListGateJson);
                return ExitCodes.Success;
            }

            var open = gates.Count(g => g.State == InboxGateState.Open);
            if (gates.Count == 0)
            {
                await console.Out.WriteLineAsync($"nothing needs you in {displayRoot}");
                return ExitCodes.Success;
            }

            await console.Out.WriteLineAsync(open == 0 ? $"nothing needs you in {displayRoot}" : $"{CommandHelpers.Plural(open, "gate")} need{(open == 1 ? "s" : "")} you in {displayRoot}:");
            foreach (var gate in gates)
            {
                await console.Out.WriteLineAsync(gate.State switch
                {
                    InboxGateState.Open => "  " + GateText.NeedsYou(gate, layout.Root, now),
                    InboxGateState.Answered => $"  {gate.Id}: answered ({gate.Answer?.Decision ?? "being written"}); {gate.Request.Worker} has not been told yet",
                    InboxGateState.Closed => $"  {gate.Id}: {gate.Request.Worker} {gate.Request.Tool}: {GateText.OneLine(gate.Request.Summary)} — {gate.Closed!.Decision} by {gate.Closed.DecidedBy}{(gate.Closed.Rule is { } rule ? $" ({rule})" : "")} after {GateText.Duration(gate.Waited(now))}",
                    _ => $"  {gate.Id}: {gate.Request.Worker} {gate.Request.Tool}: {GateText.OneLine(gate.Request.Summary)} — abandoned (the worker ended unanswered)",
                });
                if (gate is { State: InboxGateState.Open, IsQuestion: true })
                {
                    foreach (var line in Questions(gate.Request).SelectMany(QuestionLines))
                    {
                        await console.Out.WriteLineAsync("      " + line);
                    }
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Approve(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var gate = new Argument<string>("GATE") { Description = "The gate id, as fleet inbox shows it." };
        var always = new Option<bool>("--always") { Description = "Also allow this exact request (same command, same file) for the rest of the run." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("approve", "Let a worker's permission request through (once, or --always for the rest of the run).") { root, gate, always, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var answer = new GateAnswer(GateKinds.Allow, null, parse.GetValue(always), null, By(console), TimeProvider.System.GetUtcNow());
            return await AnswerAsync(console, parse.GetValue(root)!, parse.GetValue(gate)!, answer, parse.GetValue(json), cancellationToken);
        });
        return command;
    }

    public static Command Deny(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var gate = new Argument<string>("GATE") { Description = "The gate id, as fleet inbox shows it." };
        var message = new Option<string?>("--message") { Description = "What the agent is told (default: a person denied this)." };
        var json = CommandHelpers.JsonOption();
        var command = new Command("deny", "Refuse a worker's permission request or question; the agent is told why and goes on.") { root, gate, message, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var answer = new GateAnswer(GateKinds.Deny, parse.GetValue(message) ?? "a person denied this", false, null, By(console), TimeProvider.System.GetUtcNow());
            return await AnswerAsync(console, parse.GetValue(root)!, parse.GetValue(gate)!, answer, parse.GetValue(json), cancellationToken);
        });
        return command;
    }

    public static Command Answer(ICliConsole console)
    {
        var root = new Argument<string>("ROOT") { Description = "The fleet root." };
        var gate = new Argument<string>("GATE") { Description = "The gate id, as fleet inbox shows it." };
        var answers = new Argument<string[]>("ANSWER") { Description = "One answer per question, in order: an option's number or label, or your own text. Several options of a multi-select question: comma-separated.", Arity = ArgumentArity.OneOrMore };
        var json = CommandHelpers.JsonOption();
        var command = new Command("answer", "Answer a worker's question (AskUserQuestion).") { root, gate, answers, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var displayRoot = parse.GetValue(root)!;
            var layout = Layout(console, displayRoot);
            var id = parse.GetValue(gate)!;
            var found = GateInbox.Find(layout, id);
            var chosen = found is { IsQuestion: true, State: InboxGateState.Open } ? Choose(found.Request, parse.GetValue(answers) ?? [], displayRoot) : null;
            var answer = new GateAnswer(GateKinds.Answer, null, false, chosen, By(console), TimeProvider.System.GetUtcNow());
            return await AnswerAsync(console, displayRoot, id, answer, parse.GetValue(json), cancellationToken);
        });
        return command;
    }

    internal static GateJson ToJson(InboxGate g, string root, DateTimeOffset now)
    {
        var r = g.Request;
        var quoted = ShellQuote.Quote(root);
        IReadOnlyList<string> commands = g.State != InboxGateState.Open ? []
            : g.IsQuestion ? [$"fleet answer {quoted} {r.Id} ANSWER…", $"fleet deny {quoted} {r.Id} --message TEXT"]
            : [$"fleet approve {quoted} {r.Id}", $"fleet approve {quoted} {r.Id} --always", $"fleet deny {quoted} {r.Id} --message TEXT"];
        return new GateJson(r.Id, r.Worker, r.Iteration, r.Kind, r.Tool, r.Summary, r.Reason, g.State.ToString().ToLowerInvariant(),
            r.AskedAt, Math.Round(g.Waited(now).TotalSeconds, 1), g.Closed?.Decision ?? g.Answer?.Decision,
            GateText.NeedsYou(g, root, now), commands);
    }

    private static async Task<int> AnswerAsync(ICliConsole console, string displayRoot, string gateId, GateAnswer answer, bool json, CancellationToken cancellationToken)
    {
        var layout = Layout(console, displayRoot);
        var result = await GateInbox.AnswerAsync(layout, gateId, answer, TimeProvider.System, cancellationToken);
        if (!result.Ok)
        {
            throw new CliException(result.Message);
        }

        if (json)
        {
            await CommandHelpers.WriteJsonAsync(console, new GateAnsweredJson(gateId, answer.Decision, result.RuleAdded, result.Message), RunJsonContext.Default.GateAnsweredJson);
        }
        else
        {
            await console.Out.WriteLineAsync(result.Message);
        }

        return ExitCodes.Success;
    }

    /// <summary>Question text → answer, from the person's answers in question order.</summary>
    private static Dictionary<string, string> Choose(GateRequest request, string[] given, string displayRoot)
    {
        var questions = Questions(request);
        if (questions.Count == 0)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal) { [request.Summary] = string.Join(' ', given) };
        }

        if (given.Length != questions.Count)
        {
            var listing = string.Join("\n", questions.SelectMany(QuestionLines));
            throw new CliException($"gate {request.Id} asks {CommandHelpers.Plural(questions.Count, "question")}; give one answer each (got {given.Length}): fleet answer {displayRoot} {request.Id} ANSWER…\n{listing}");
        }

        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < questions.Count; i++)
        {
            var q = questions[i];
            var parts = q.MultiSelect ? given[i].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [given[i].Trim()];
            answers[q.Text] = string.Join(", ", parts.Select(p => Option(q, p)));
        }

        return answers;
    }

    /// <summary>An option's number (1-based) or label (any case) names that option; anything else is the person's own text.</summary>
    private static string Option(Question q, string given)
    {
        if (int.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= q.Options.Count)
        {
            return q.Options[n - 1];
        }

        return q.Options.FirstOrDefault(o => string.Equals(o, given, StringComparison.OrdinalIgnoreCase)) ?? given;
    }

    private sealed record Question(string Text, IReadOnlyList<string> Options, bool MultiSelect);

    /// <summary>AskUserQuestion's input: <c>{questions: [{question, header, options: [{label, description}], multiSelect}]}</c>.</summary>
    private static List<Question> Questions(GateRequest request)
    {
        var list = new List<Question>();
        if (request.Input?["questions"] is not JsonArray questions)
        {
            return list;
        }

        foreach (var q in questions.OfType<JsonObject>())
        {
            if (Text(q["question"]) is not { } text)
            {
                continue;
            }

            var options = q["options"] is JsonArray o ? o.Select(x => x is JsonObject ob ? Text(ob["label"]) : Text(x)).OfType<string>().ToList() : [];
            var multi = q["multiSelect"] is JsonValue m && m.GetValueKind() == JsonValueKind.True;
            list.Add(new Question(text, options, multi));
        }

        return list;
    }

    private static IEnumerable<string> QuestionLines(Question q, int index)
    {
        yield return $"{index + 1}. {q.Text}{(q.MultiSelect ? " (several: comma-separated)" : "")}";
        for (var i = 0; i < q.Options.Count; i++)
        {
            yield return $"   {i + 1}) {q.Options[i]}";
        }
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static string By(ICliConsole console) => console.GetEnvironmentVariable("USER") is { Length: > 0 } user ? user : "a person";

    private static FleetLayout Layout(ICliConsole console, string root)
    {
        var full = CommandHelpers.Resolve(console, root);
        if (!Directory.Exists(full))
        {
            throw new CliException($"{root}: no such folder");
        }

        return new FleetLayout(full);
    }
}

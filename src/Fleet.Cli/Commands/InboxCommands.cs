using System.CommandLine;
using Fleet.Cli.Hosting;
using Fleet.Gates.Inbox;
using Fleet.Providers;
using Fleet.UseCases;

namespace Fleet.Cli.Commands;

/// <summary>
/// <c>fleet inbox</c>, <c>approve</c>, <c>deny</c> and <c>answer</c>: the human gates. They read and write the
/// inbox's files only (<see cref="GateInbox"/>, <see cref="AnswerGate"/>), so they work whether or not the orchestrator runs.
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
            var layout = FleetRoots.Existing(CommandHelpers.Resolve(console, displayRoot), displayRoot);
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
                    foreach (var line in GateQuestion.Of(gate.Request).SelectMany((q, i) => q.Lines(i)))
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
            var request = Request(console, parse.GetValue(root)!, parse.GetValue(gate)!, GateKinds.Allow) with { Always = parse.GetValue(always) };
            return await AnswerAsync(console, request, parse.GetValue(json), cancellationToken);
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
            var request = Request(console, parse.GetValue(root)!, parse.GetValue(gate)!, GateKinds.Deny) with { Message = parse.GetValue(message) };
            return await AnswerAsync(console, request, parse.GetValue(json), cancellationToken);
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
            var request = Request(console, parse.GetValue(root)!, parse.GetValue(gate)!, GateKinds.Answer) with { Answers = parse.GetValue(answers) ?? [] };
            return await AnswerAsync(console, request, parse.GetValue(json), cancellationToken);
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

    private static AnswerGateRequest Request(ICliConsole console, string displayRoot, string gateId, string decision) =>
        new(CommandHelpers.Resolve(console, displayRoot), displayRoot, gateId, decision, By(console));

    private static async Task<int> AnswerAsync(ICliConsole console, AnswerGateRequest request, bool json, CancellationToken cancellationToken)
    {
        var answered = await new AnswerGate(CommandHelpers.Host(console)).RunAsync(request, cancellationToken);
        if (json)
        {
            await CommandHelpers.WriteJsonAsync(console, new GateAnsweredJson(answered.GateId, answered.Decision, answered.RuleAdded, answered.Message), RunJsonContext.Default.GateAnsweredJson);
        }
        else
        {
            await console.Out.WriteLineAsync(answered.Message);
        }

        return ExitCodes.Success;
    }

    private static string By(ICliConsole console) => CommandHelpers.UserName(console);
}

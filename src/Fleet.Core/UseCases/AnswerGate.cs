using Fleet.Gates;
using Fleet.Gates.Inbox;

namespace Fleet.UseCases;

/// <summary>A person's answer to one gate.</summary>
/// <param name="Root">The fleet root, absolute.</param>
/// <param name="DisplayRoot">The root as the person gave it, for messages.</param>
/// <param name="Decision"><see cref="GateKinds.Allow"/>, <see cref="GateKinds.Deny"/> or <see cref="GateKinds.Answer"/>.</param>
/// <param name="By">Who answers (the user's name).</param>
public sealed record AnswerGateRequest(string Root, string DisplayRoot, string GateId, string Decision, string By)
{
    /// <summary>For allow: this exact request is allowed for the rest of the run.</summary>
    public bool Always { get; init; }

    /// <summary>For deny: what the agent is told; null: <see cref="AnswerGate.DefaultDenial"/>.</summary>
    public string? Message { get; init; }

    /// <summary>For a question: one answer per question, in order (an option's number or label, or the person's own text).</summary>
    public IReadOnlyList<string> Answers { get; init; } = [];
}

/// <param name="Message">What was done, for the person.</param>
/// <param name="RuleAdded">The allow rule an <c>--always</c> approval added.</param>
public sealed record AnswerGateResult(string GateId, string Decision, string? RuleAdded, string Message);

/// <summary>
/// <c>fleet approve|deny|answer</c>: the person's answer into the gate's files, which the waiting worker reads; it works
/// whether or not the orchestrator runs. A gate already answered, closed or unknown is a refusal that says so.
/// </summary>
public sealed class AnswerGate(FleetHost host)
{
    public const string DefaultDenial = "a person denied this";

    public async Task<AnswerGateResult> RunAsync(AnswerGateRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var layout = FleetRoots.Existing(request.Root, request.DisplayRoot);
        IReadOnlyDictionary<string, string>? chosen = null;
        if (request.Decision == GateKinds.Answer && GateInbox.Find(layout, request.GateId) is { IsQuestion: true, State: InboxGateState.Open } found)
        {
            chosen = Choose(found.Request, request.Answers, request.DisplayRoot);
        }

        var message = request.Decision == GateKinds.Deny ? request.Message ?? DefaultDenial : null;
        var answer = new GateAnswer(request.Decision, message, request.Always, chosen, request.By, host.Time.GetUtcNow());
        var result = await GateInbox.AnswerAsync(layout, request.GateId, answer, host.Time, cancellationToken);
        if (!result.Ok)
        {
            throw new FleetOperationException(result.Message);
        }

        return new AnswerGateResult(request.GateId, answer.Decision, result.RuleAdded, result.Message);
    }

    /// <summary>Question text → answer, from the person's answers in question order.</summary>
    internal static Dictionary<string, string> Choose(GateRequest request, IReadOnlyList<string> given, string displayRoot)
    {
        var questions = GateQuestion.Of(request);
        if (questions.Count == 0)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal) { [request.Summary] = string.Join(' ', given) };
        }

        if (given.Count != questions.Count)
        {
            var listing = string.Join("\n", questions.SelectMany((q, i) => q.Lines(i)));
            var asks = questions.Count == 1 ? "1 question" : $"{questions.Count} questions";
            throw new FleetOperationException($"gate {request.Id} asks {asks}; give one answer each (got {given.Count}): fleet answer {displayRoot} {request.Id} ANSWER…\n{listing}");
        }

        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < questions.Count; i++)
        {
            var q = questions[i];
            var parts = q.MultiSelect ? given[i].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [given[i].Trim()];
            answers[q.Text] = string.Join(", ", parts.Select(q.Option));
        }

        return answers;
    }
}

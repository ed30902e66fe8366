using System.Globalization;
using System.Text.Json;
using Fleet.Paths;
using Fleet.State;
using Fleet.Workers;

namespace Fleet.Gates.Inbox;

/// <summary>Where a gate stands, from its files alone.</summary>
public enum InboxGateState
{
    /// <summary>Asked, not answered: a person must act.</summary>
    Open,

    /// <summary>A person answered; the shim has not yet told the agent.</summary>
    Answered,

    /// <summary>The shim wrote the closing record: settled.</summary>
    Closed,

    /// <summary>Never closed, but the worker ended (its exit file exists, or its shim is gone): no one waits for an answer.</summary>
    Abandoned,
}

/// <summary>One gate of a fleet root: the request and whatever answer and closing record it has.</summary>
public sealed record InboxGate(GateRequest Request, string IterationDir, InboxGateState State, GateAnswer? Answer, GateRecord? Closed)
{
    public string Id => Request.Id;

    public bool IsQuestion => Request.Kind == GateKinds.Question;

    /// <summary>How long the agent has waited (or waited, once closed).</summary>
    public TimeSpan Waited(DateTimeOffset now)
    {
        var end = Closed?.DecidedAt ?? now;
        return end > Request.AskedAt ? end - Request.AskedAt : TimeSpan.Zero;
    }
}

/// <summary>The request kinds of <see cref="GateRequest.Kind"/> and decisions of <see cref="GateAnswer.Decision"/>.</summary>
public static class GateKinds
{
    public const string Permission = "permission";
    public const string Question = "question";

    public const string Allow = "allow";
    public const string Deny = "deny";
    public const string Answer = "answer";
}

/// <summary>What an answer did.</summary>
public enum AnswerStatus
{
    Answered,
    NotFound,
    AlreadyAnswered,
    Closed,
    Abandoned,
    WrongKind,
}

/// <param name="Message">For a person: what happened, or why nothing changed.</param>
/// <param name="RuleAdded">The allow rule <c>--always</c> added to <c>.fleet/gates.run.json</c>.</param>
public sealed record AnswerResult(AnswerStatus Status, string Message, InboxGate? Gate = null, string? RuleAdded = null)
{
    public bool Ok => Status == AnswerStatus.Answered;
}

/// <summary>
/// Reads a fleet root's gates and answers them, through the files of <see cref="GatePaths"/> only: it works
/// whether or not the orchestrator is alive (the shim holds the waiting agent). An answer file is created
/// exclusively, so of two answers exactly one counts and the other is told so.
/// </summary>
public static class GateInbox
{
    /// <summary>Every gate of the root, oldest first.</summary>
    public static IReadOnlyList<InboxGate> List(FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var iterations = Path.Combine(layout.Root, "iterations");
        if (!Directory.Exists(iterations))
        {
            return [];
        }

        var gates = new List<InboxGate>();
        foreach (var iterationDir in Directory.EnumerateDirectories(iterations))
        {
            if (!int.TryParse(Path.GetFileName(iterationDir), NumberStyles.None, CultureInfo.InvariantCulture, out _) || !Directory.Exists(GatePaths.Dir(iterationDir)))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(GatePaths.Dir(iterationDir), "*.request.json"))
            {
                if (Read(file, GateJsonContext.Default.GateRequest) is { } request)
                {
                    gates.Add(Load(iterationDir, request));
                }
            }
        }

        return [.. gates.OrderBy(g => g.Request.AskedAt).ThenBy(g => g.Id, StringComparer.Ordinal)];
    }

    /// <summary>The gates a person must act on: asked and not answered, with someone still waiting.</summary>
    public static IReadOnlyList<InboxGate> Open(FleetLayout layout) => [.. List(layout).Where(g => g.State == InboxGateState.Open)];

    /// <summary>The gate <paramref name="gateId"/>, or null.</summary>
    public static InboxGate? Find(FleetLayout layout, string gateId)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentException.ThrowIfNullOrEmpty(gateId);
        if (gateId.IndexOfAny(['/', '\\']) >= 0 || gateId is "." or "..")
        {
            return null;
        }

        var iterations = Path.Combine(layout.Root, "iterations");
        if (!Directory.Exists(iterations))
        {
            return null;
        }

        foreach (var iterationDir in Directory.EnumerateDirectories(iterations))
        {
            if (Read(GatePaths.Request(iterationDir, gateId), GateJsonContext.Default.GateRequest) is { } request)
            {
                return Load(iterationDir, request);
            }
        }

        return null;
    }

    /// <summary>
    /// Answers a gate: creates its answer file exclusively (<see cref="FileMode.CreateNew"/>). A second answer,
    /// an answer to a closed or abandoned gate, or an answer of the wrong kind changes nothing and says why.
    /// With <see cref="GateAnswer.Always"/> on an allow, the request's rule is added to <c>.fleet/gates.run.json</c>.
    /// </summary>
    public static async Task<AnswerResult> AnswerAsync(FleetLayout layout, string gateId, GateAnswer answer, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(time);
        if (Find(layout, gateId) is not { } gate)
        {
            return new AnswerResult(AnswerStatus.NotFound, $"no gate \"{gateId}\" in {layout.Root} (fleet inbox {layout.Root} lists the open ones)");
        }

        var now = time.GetUtcNow();
        switch (gate.State)
        {
            case InboxGateState.Closed:
                return new AnswerResult(AnswerStatus.Closed, $"gate {gate.Id} is closed ({Describe(gate.Closed!)}); nothing changed", gate);
            case InboxGateState.Answered:
                return AlreadyAnswered(gate, gate.Answer!);
            case InboxGateState.Abandoned:
                return new AnswerResult(AnswerStatus.Abandoned, $"gate {gate.Id} can no longer be answered: {gate.Request.Worker} (iteration {gate.Request.Iteration}) has ended; nothing changed", gate);
        }

        if (gate.IsQuestion && answer.Decision == GateKinds.Allow)
        {
            return new AnswerResult(AnswerStatus.WrongKind, $"gate {gate.Id} is a question, not a permission: answer it with fleet answer {layout.Root} {gate.Id} ANSWER… (or fleet deny)", gate);
        }

        if (!gate.IsQuestion && answer.Decision == GateKinds.Answer)
        {
            return new AnswerResult(AnswerStatus.WrongKind, $"gate {gate.Id} asks permission for {gate.Request.Tool}, it is not a question: fleet approve {layout.Root} {gate.Id} or fleet deny {layout.Root} {gate.Id}", gate);
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(answer, GateJsonContext.Default.GateAnswer);
        var path = GatePaths.Answer(gate.IterationDir, gate.Id);
        try
        {
            // One write of the whole document into a file that did not exist: the exclusive create is the answer's claim.
            await using var file = PrivateFiles.Open(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            await file.WriteAsync(bytes, cancellationToken);
            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            return AlreadyAnswered(gate, Read(path, GateJsonContext.Default.GateAnswer));
        }

        var answered = gate with { State = InboxGateState.Answered, Answer = answer };
        string? rule = null;
        if (answer is { Decision: GateKinds.Allow, Always: true })
        {
            // The shim knows the exact rule its policy matches for this request; derive one only for requests that lack it.
            rule = gate.Request.AlwaysRule ?? AlwaysRule.For(gate.Request.Tool, gate.Request.Input);
            await RunRules.AddAsync(layout, rule, time, cancellationToken);
        }

        var waited = GateText.Duration(answered.Waited(now));
        var what = answer.Decision switch
        {
            GateKinds.Allow => $"approved {gate.Request.Worker}'s {gate.Request.Tool}: {gate.Request.Summary}",
            GateKinds.Deny => $"denied {gate.Request.Worker}'s {gate.Request.Tool}: {gate.Request.Summary}",
            _ => $"answered {gate.Request.Worker}'s question",
        };
        return new AnswerResult(AnswerStatus.Answered, $"{what} (it waited {waited}){(rule is null ? "" : $"; allowed for the rest of the run: {rule}")}", answered, rule);
    }

    private static AnswerResult AlreadyAnswered(InboxGate gate, GateAnswer? existing) =>
        new(AnswerStatus.AlreadyAnswered, existing is null
            ? $"gate {gate.Id} was already answered; nothing changed"
            : $"gate {gate.Id} was already answered: {existing.Decision} by {existing.By} at {existing.AnsweredAt.ToString("u", CultureInfo.InvariantCulture)}; nothing changed", gate);

    private static string Describe(GateRecord closed) => closed.DecidedBy switch
    {
        "rule" => $"{closed.Decision} by rule {closed.Rule}",
        "closed" => "the agent ended before an answer",
        _ => $"{closed.Decision} by a person at {closed.DecidedAt.ToString("u", CultureInfo.InvariantCulture)}",
    };

    private static InboxGate Load(string iterationDir, GateRequest request)
    {
        var closed = Read(GatePaths.Closed(iterationDir, request.Id), GateJsonContext.Default.GateRecord);
        var answer = Read(GatePaths.Answer(iterationDir, request.Id), GateJsonContext.Default.GateAnswer);
        var state = closed is not null ? InboxGateState.Closed
            : answer is not null || File.Exists(GatePaths.Answer(iterationDir, request.Id)) ? InboxGateState.Answered
            : WorkerEnded(iterationDir, request.Worker) ? InboxGateState.Abandoned
            : InboxGateState.Open;
        return new InboxGate(request, iterationDir, state, answer, closed);
    }

    /// <summary>The worker wrote its exit file, or its shim (which holds the agent) is gone; a remote shim by the shared files alone.</summary>
    private static bool WorkerEnded(string iterationDir, string worker) =>
        File.Exists(Path.Combine(iterationDir, worker + ".exit.json"))
        || WorkerClaim.TryRead(iterationDir, worker) is { } claim && !ShimLiveness.FilesOnly.IsAlive(iterationDir, worker, claim);

    private static T? Read<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        where T : class
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), info) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

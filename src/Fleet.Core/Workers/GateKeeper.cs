using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Gates;
using Fleet.Gates.Policy;
using Fleet.Paths;
using Fleet.Telemetry.Privacy;

namespace Fleet.Workers;

/// <summary>How a gate was settled, for the agent: allowed (with a question's answers) or denied (with the message it is told).</summary>
internal sealed record GateVerdict(bool Allowed, string? Message, IReadOnlyDictionary<string, string>? Answers);

/// <summary>
/// Fleet's gate for one worker run, whatever the agent's protocol: decides each request by the policy (deny rules,
/// the destructive list, allow rules, the run's rules and the "always" answers of this run), else writes it to the
/// inbox and waits for a person's answer file (as long as it takes: no timeout ends a worker). Every request, also
/// those a rule decided, is one line of <c>&lt;worker&gt;.gates.jsonl</c>. Nothing here needs the orchestrator, so
/// a pending gate survives its crash.
/// </summary>
internal sealed class GateKeeper : IDisposable
{
    private static readonly TimeSpan AnswerPoll = TimeSpan.FromSeconds(2);
    private static readonly JsonSerializerOptions LineOptions = new(GateJsonContext.Default.Options) { WriteIndented = false };
    private static readonly GateJsonContext LineContext = new(LineOptions);

    private readonly WorkerLaunchSpec _spec;
    private readonly GatePolicy? _policy;
    private readonly string _workingDirectory;
    private readonly TimeProvider _time;
    private readonly Action<string> _note;
    private readonly SemaphoreSlim _logLock = new(1, 1);
    private readonly CancellationTokenSource _ended = new();
    private readonly ConcurrentBag<GateRule> _alwaysAllowed = [];
    private int _sequence;

    public GateKeeper(WorkerLaunchSpec spec, TimeProvider time, Action<string> note)
    {
        _spec = spec;
        _policy = spec.Gates?.ToPolicy();
        _workingDirectory = Path.GetFullPath(spec.WorkingDirectory ?? Directory.GetCurrentDirectory());
        _time = time;
        _note = note;
    }

    /// <summary>Cancelled when the agent has ended: pending gates close unanswered.</summary>
    public CancellationToken Ended => _ended.Token;

    /// <summary>The agent has ended: pending gates are closed (decided by <c>closed</c>).</summary>
    public Task EndAsync() => _ended.CancelAsync();

    public void Dispose()
    {
        _ended.Dispose();
        _logLock.Dispose();
    }

    /// <summary>
    /// Settles one request: <paramref name="respond"/> tells the agent (at once when a rule decides, else once a person
    /// has answered), then the gate is recorded. When <paramref name="withdrawn"/> is cancelled or the agent ends
    /// first, the agent is not answered and the gate closes as <c>none</c>.
    /// </summary>
    /// <param name="tool">The tool name in the rules' syntax: <c>Bash</c>, <c>Edit</c>, <c>AskUserQuestion</c> …</param>
    /// <param name="input">The tool input as the agent sent it (rules match the real values; the inbox gets it masked).</param>
    /// <param name="alsoFor">Further inputs the same request covers (a patch of several files): each must pass as well.</param>
    /// <param name="unasked">What runs the request unasked where no rule matches (see <see cref="GatePolicy.Decide"/>); null for none.</param>
    public async Task DecideAsync(string tool, JsonObject? input, DateTimeOffset askedAt, Func<GateVerdict, Task> respond, CancellationToken withdrawn, IEnumerable<JsonObject>? alsoFor = null, Unasked? unasked = null)
    {
        var id = $"{_spec.Worker}-{_spec.Iteration}-{Interlocked.Increment(ref _sequence)}";
        var query = new GateQuery(tool, input, _workingDirectory);
        var kind = query.IsQuestion ? "question" : "permission";
        var summary = SecretMasker.Mask(query.Summary);
        var runAllow = await GateRuleFiles.ReadRunAllowAsync(_spec.Gates?.RunRulesFile, CancellationToken.None);
        GateRule[] allowed = [.. runAllow, .. _alwaysAllowed];
        var decision = _policy is null
            ? new GateDecision(GateAction.Ask, null, "no gate rules")
            : Strictest([query, .. (alsoFor ?? []).Select(i => new GateQuery(tool, i, _workingDirectory))], q => _policy.Decide(q, allowed, unasked));

        if (decision.Action != GateAction.Ask)
        {
            var allow = decision.Action == GateAction.Allow;
            var message = allow ? null : $"Denied by fleet's gate rule {decision.Rule}.";
            await respond(new GateVerdict(allow, message, null));
            _note($"[fleet] gate {id}: {tool} {summary}: {(allow ? "allowed" : "denied")} by the rule {decision.Rule}");
            await AppendLogAsync(new GateRecord(id, _spec.Worker, _spec.Iteration, kind, tool, summary, allow ? "allow" : "deny", "rule", decision.Rule, message, askedAt, _time.GetUtcNow(), 0));
            return;
        }

        var request = new GateRequest(id, _spec.Worker, _spec.Iteration, kind, tool, summary, Mask(input) as JsonObject, decision.Reason, askedAt,
            query.IsQuestion ? null : GateRule.ExactFor(query));
        PrivateFiles.CreateDirectory(GatePaths.Dir(_spec.IterationDir));
        await WriteAtomicallyAsync(GatePaths.Request(_spec.IterationDir, id), request, GateJsonContext.Default.GateRequest);
        _note($"[fleet] gate {id}: {tool} {summary}: waiting for a person ({decision.Reason})");

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_ended.Token, withdrawn);
        GateAnswer? answer = null;
        try
        {
            answer = await WaitForAnswerAsync(id, cts.Token);
        }
        catch (OperationCanceledException)
        {
        }

        string decisionText;
        string? rule = null;
        string? text = null;
        if (answer is null)
        {
            decisionText = "none";
        }
        else if (answer.Decision is "allow" or "answer")
        {
            decisionText = answer.Decision;
            if (answer.Always && request.AlwaysRule is { } always && GateRule.TryParse(always, out var parsed, out _))
            {
                _alwaysAllowed.Add(parsed!);
                rule = always;
            }

            await respond(new GateVerdict(true, null, answer.Answers));
        }
        else
        {
            decisionText = "deny";
            text = string.IsNullOrWhiteSpace(answer.Message)
                ? answer.Decision == "deny" ? "A person denied this through fleet." : $"fleet: unknown decision \"{answer.Decision}\", so denied."
                : answer.Message;
            await respond(new GateVerdict(false, text, null));
        }

        var decidedAt = _time.GetUtcNow();
        var record = new GateRecord(id, _spec.Worker, _spec.Iteration, kind, tool, summary, decisionText, answer is null ? "closed" : "person", rule, text,
            askedAt, decidedAt, (long)(decidedAt - askedAt).TotalMilliseconds);
        _note($"[fleet] gate {id}: {decisionText}{(answer is null ? " (the agent ended first)" : " by " + answer.By)}");
        await WriteAtomicallyAsync(GatePaths.Closed(_spec.IterationDir, id), record, GateJsonContext.Default.GateRecord);
        await AppendLogAsync(record);
    }

    /// <summary>One decision for several queries: a denial over a question over an allowance (the first of each).</summary>
    internal static GateDecision Strictest(IReadOnlyList<GateQuery> queries, Func<GateQuery, GateDecision> decide)
    {
        var decisions = queries.Select(decide).ToList();
        return decisions.FirstOrDefault(d => d.Action == GateAction.Deny)
            ?? decisions.FirstOrDefault(d => d.Action == GateAction.Ask)
            ?? decisions[0];
    }

    private async Task<GateAnswer?> WaitForAnswerAsync(string id, CancellationToken cancellationToken)
    {
        var path = GatePaths.Answer(_spec.IterationDir, id);
        using var changed = new SemaphoreSlim(0);
        void Wake(object? sender, FileSystemEventArgs e) => changed.Release();

        // Refused (no inotify instance left), the poll below still finds the answer, only later.
        using var watcher = FileWatchers.TryStart(GatePaths.Dir(_spec.IterationDir), Path.GetFileName(path), recursive: false, NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size, Wake);
        while (true)
        {
            if (await TryReadAnswerAsync(path, cancellationToken) is { } answer)
            {
                return answer;
            }

            // The watcher wakes us; the poll is a safety net for file systems that drop events.
            using var poll = new CancellationTokenSource(AnswerPoll, _time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, poll.Token);
            try
            {
                await changed.WaitAsync(either.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    private static async Task<GateAnswer?> TryReadAnswerAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return await JsonSerializer.DeserializeAsync(stream, GateJsonContext.Default.GateAnswer, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            // Created but not written yet (the answer is created exclusively, then written): the next change wakes us.
            return null;
        }
    }

    private async Task AppendLogAsync(GateRecord record)
    {
        var line = JsonSerializer.Serialize(record, LineContext.GateRecord) + "\n";
        await _logLock.WaitAsync(CancellationToken.None);
        try
        {
            await PrivateFiles.AppendAllTextAsync(GatePaths.Log(_spec.IterationDir, _spec.Worker), line, CancellationToken.None);
        }
        catch (IOException e)
        {
            _note($"[fleet] writing the gate log failed: {e.Message}");
        }
        finally
        {
            _logLock.Release();
        }
    }

    private static Task WriteAtomicallyAsync<T>(string path, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        PrivateFiles.ReplaceAsync(path, JsonSerializer.SerializeToUtf8Bytes(value, type), CancellationToken.None);

    private static JsonNode? Mask(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Mask(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Mask)]),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonValue.Create(SecretMasker.Mask(v.GetValue<string>())),
        _ => node?.DeepClone(),
    };
}

using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Fleet.Gates.Policy;

namespace Fleet.Workers;

/// <summary>
/// The client side of <c>codex app-server</c> (JSON-RPC 2.0, one message a line on stdio), run by the shim, which
/// holds the agent's stdin:
/// <list type="bullet">
/// <item><c>initialize</c>, <c>initialized</c>, then <c>thread/start</c> (or <c>thread/resume</c> of the worker's
/// thread from its previous iteration) and <c>turn/start</c> with the brief;</item>
/// <item>answers each approval request (<c>item/commandExecution/requestApproval</c>, <c>item/fileChange/requestApproval</c>)
/// and <c>item/tool/requestUserInput</c> through the worker's <see cref="GateKeeper"/>, as claude's are; a denial's
/// message reaches the model as a <c>turn/steer</c> of the same turn, sent just before the decline (which carries no text);</item>
/// <item>delivers a person's message mid-turn with <c>turn/steer</c>, or stops the turn with <c>turn/interrupt</c>
/// and starts the next one with the message;</item>
/// <item>closes stdin once the last turn has completed, so app-server ends.</item>
/// </list>
/// The log keeps app-server's stdout as it is: the stream reader reads its notifications.
/// </summary>
internal sealed class CodexAppServerControl : JsonRpcAgentSession
{
    private readonly CodexAppServerSession _session;
    private readonly ConcurrentDictionary<string, JsonArray> _fileChanges = new(StringComparer.Ordinal);
    private readonly object _turnLock = new();
    private TaskCompletionSource _turnEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _openTurns;
    private string? _threadId;
    private string? _activeTurn;

    // Under _turnLock: an interrupt holds one open turn for the message that follows it (the next SayAsync takes it).
    private bool _held;

    public CodexAppServerControl(WorkerLaunchSpec spec, TimeProvider time, Action<string> note)
        : base(spec, "codex", versionField: false, time, note) =>
        _session = spec.CodexSession ?? throw new ArgumentException("the spec has no codex_session.", nameof(spec));

    /// <summary>The thread, once app-server has started or resumed it.</summary>
    public string? ThreadId => Volatile.Read(ref _threadId);

    protected override void OnNotification(string method, JsonObject? parameters)
    {
        switch (method)
        {
            case "turn/started":
                lock (_turnLock)
                {
                    _activeTurn = Text(parameters?["turn"] as JsonObject, "id");
                }

                break;
            case "turn/completed":
                TurnEnded();
                break;
            case "item/started":
                RememberFileChange(parameters?["item"] as JsonObject);
                break;
            default:
                break;
        }
    }

    /// <summary>A patch's files come with its item, not with its approval request.</summary>
    private void RememberFileChange(JsonObject? item)
    {
        if (Text(item, "type") == "fileChange" && Text(item, "id") is { } id)
        {
            _fileChanges[id] = item!["changes"] as JsonArray ?? [];
        }
    }

    /// <summary>
    /// Gives the model <paramref name="text"/>: within the running turn (<c>turn/steer</c>: codex adds it to the next
    /// model request), or, with <paramref name="now"/>, after interrupting that turn, as the next turn. Between turns (after
    /// <see cref="InterruptAsync"/>) it starts one. Returns once app-server has accepted it.
    /// </summary>
    public override async Task SayAsync(string text, bool now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var thread = ThreadId ?? throw new SteeringRefusedException("codex has not started its thread yet");
        string? turn;
        Task ended;
        lock (_turnLock)
        {
            turn = _activeTurn;
            ended = _turnEnded.Task;
            if (turn is null || now)
            {
                // Counted before the interrupt: the interrupted turn's end must not close stdin under the next turn.
                // An earlier interrupt counted it already.
                if (!_held)
                {
                    _openTurns++;
                }

                _held = false;
            }
        }

        try
        {
            if (turn is not null && !now)
            {
                await CallAsync("turn/steer", new JsonObject { ["threadId"] = thread, ["expectedTurnId"] = turn, ["input"] = Input(text) }, cancellationToken);
            }
            else
            {
                if (turn is not null)
                {
                    await CallAsync("turn/interrupt", new JsonObject { ["threadId"] = thread, ["turnId"] = turn }, cancellationToken);
                    await ended.WaitAsync(cancellationToken);
                }

                await StartTurnAsync(thread, text, counted: true, cancellationToken);
            }
        }
        catch (JsonRpcException e)
        {
            throw new SteeringRefusedException($"codex did not take the message: {e.Message}", e);
        }

        Note($"[fleet] a person says{(now ? " (after an interrupt)" : string.Empty)}: {Fleet.Telemetry.Privacy.SecretMasker.Mask(text)}");
    }

    /// <summary>
    /// Stops the running turn (<c>turn/interrupt</c>). App-server stays and waits for the next <see cref="SayAsync"/>,
    /// which starts the next turn.
    /// </summary>
    public override async Task InterruptAsync(CancellationToken cancellationToken)
    {
        var thread = ThreadId ?? throw new SteeringRefusedException("codex has not started its thread yet");
        string? turn;
        lock (_turnLock)
        {
            turn = _activeTurn;
            if (!_held)
            {
                // Holds stdin open past the interrupted turn, for the message that follows.
                _openTurns++;
                _held = true;
            }
        }

        if (turn is not null)
        {
            try
            {
                await CallAsync("turn/interrupt", new JsonObject { ["threadId"] = thread, ["turnId"] = turn }, cancellationToken);
            }
            catch (JsonRpcException e)
            {
                throw new SteeringRefusedException($"codex did not stop the turn: {e.Message}", e);
            }
        }

        Note("[fleet] a person interrupted the turn; the agent waits for `fleet say`");
    }

    protected override async Task HandshakeAsync()
    {
        var step = "initialize";
        try
        {
            await CallAsync(step, new JsonObject
            {
                ["clientInfo"] = new JsonObject { ["name"] = "fleet", ["title"] = "fleet", ["version"] = typeof(CodexAppServerControl).Assembly.GetName().Version?.ToString() ?? "0" },
            }, CancellationToken.None);
            await Rpc.NotifyAsync("initialized");

            var thread = new JsonObject
            {
                ["cwd"] = Path.GetFullPath(Spec.WorkingDirectory ?? Directory.GetCurrentDirectory()),
                ["approvalPolicy"] = _session.ApprovalPolicy,
                ["sandbox"] = _session.Sandbox,
            };
            step = _session.ResumeThread is null ? "thread/start" : "thread/resume";
            if (_session.ResumeThread is { } resume)
            {
                thread["threadId"] = resume;
            }

            var started = await CallAsync(step, thread, CancellationToken.None);
            var id = Text(started?["thread"] as JsonObject, "id") ?? throw new JsonRpcException("the answer names no thread");
            Volatile.Write(ref _threadId, id);
            step = "turn/start";
            await StartTurnAsync(id, _session.Prompt, counted: false, CancellationToken.None);
        }
        catch (JsonRpcException e)
        {
            Failure = $"codex app-server refused {step}: {e.Message}";
            Note($"[fleet] {Failure}");
            await CloseStdinAsync();
        }
        catch (OperationCanceledException)
        {
            // The agent ended during the handshake: its exit says why.
        }
    }

    private async Task StartTurnAsync(string thread, string text, bool counted, CancellationToken cancellationToken)
    {
        lock (_turnLock)
        {
            if (!counted)
            {
                _openTurns++;
            }

            _turnEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        try
        {
            var started = await CallAsync("turn/start", new JsonObject { ["threadId"] = thread, ["input"] = Input(text) }, cancellationToken);
            lock (_turnLock)
            {
                _activeTurn ??= Text(started?["turn"] as JsonObject, "id");
            }
        }
        catch (Exception e) when (e is JsonRpcException or OperationCanceledException)
        {
            TurnEnded();
            throw;
        }
    }

    private void TurnEnded()
    {
        bool last;
        lock (_turnLock)
        {
            _activeTurn = null;
            _turnEnded.TrySetResult();
            last = --_openTurns <= 0;
        }

        if (last)
        {
            Track(CloseStdinAsync(onlyIfIdle: true));
        }
    }

    protected override async Task HandleRequestAsync(JsonNode id, string method, JsonObject? parameters, DateTimeOffset askedAt)
    {
        switch (method)
        {
            case "item/commandExecution/requestApproval":
                var command = CodexCommands.Unwrap(Text(parameters, "command") ?? string.Empty);
                var input = new JsonObject { ["command"] = command };
                if (Text(parameters, "reason") is { } reason)
                {
                    input["description"] = reason;
                }

                // A plain command runs inside the sandbox; one that asks for more (a reason, network) is judged without it.
                var sandboxed = _session.Sandbox == "workspace-write" && Text(parameters, "kind") is null or "command"
                    && Text(parameters, "reason") is null && parameters?["networkApprovalContext"] is null;
                await Gates.DecideAsync("Bash", input, askedAt, v => AnswerApprovalAsync(id, parameters, v), CancellationToken.None, unasked: sandboxed ? Unasked.CodexSandbox : null);
                break;
            case "item/fileChange/requestApproval":
                var changes = Text(parameters, "itemId") is { } item && _fileChanges.TryGetValue(item, out var c) ? c : [];
                var files = changes.OfType<JsonObject>().Select(f => Text(f, "path")).OfType<string>().ToList();
                var inputs = files.Count == 0
                    ? [new JsonObject { ["file_path"] = Text(parameters, "grantRoot") ?? Spec.WorkingDirectory ?? "." }]
                    : files.Select(f => new JsonObject { ["file_path"] = f }).ToList();
                await Gates.DecideAsync("Edit", inputs[0], askedAt, v => AnswerApprovalAsync(id, parameters, v), CancellationToken.None, inputs.Skip(1));
                break;
            case "item/tool/requestUserInput":
                var questions = ((parameters?["questions"] as JsonArray) ?? []).OfType<JsonObject>().ToList();
                var asked = new JsonObject
                {
                    ["questions"] = new JsonArray([.. questions.Select(q => (JsonNode)new JsonObject
                    {
                        ["question"] = Text(q, "question"),
                        ["header"] = Text(q, "header"),
                        ["options"] = new JsonArray([.. ((q["options"] as JsonArray) ?? []).OfType<JsonObject>()
                            .Select(o => (JsonNode)new JsonObject { ["label"] = Text(o, "label"), ["description"] = Text(o, "description") })]),
                    })]),
                };
                await Gates.DecideAsync("AskUserQuestion", asked, askedAt, v => AnswerQuestionsAsync(id, parameters, questions, v), CancellationToken.None);
                break;
            default:
                await Rpc.RefuseAsync(id, -32601, $"fleet does not handle {method}");
                break;
        }
    }

    private async Task AnswerApprovalAsync(JsonNode id, JsonObject? parameters, GateVerdict verdict)
    {
        if (!verdict.Allowed)
        {
            await TellDeniedAsync(parameters, verdict.Message);
        }

        await Rpc.AnswerAsync(id, new JsonObject { ["decision"] = verdict.Allowed ? "accept" : "decline" });
    }

    private async Task AnswerQuestionsAsync(JsonNode id, JsonObject? parameters, List<JsonObject> questions, GateVerdict verdict)
    {
        var answers = new JsonObject();
        foreach (var question in questions)
        {
            if (Text(question, "id") is { } questionId && Text(question, "question") is { } text && verdict.Answers?.GetValueOrDefault(text) is { } answer)
            {
                answers[questionId] = new JsonObject { ["answers"] = new JsonArray(answer) };
            }
        }

        if (!verdict.Allowed)
        {
            await TellDeniedAsync(parameters, verdict.Message);
        }

        await Rpc.AnswerAsync(id, new JsonObject { ["answers"] = answers });
    }

    /// <summary>
    /// A decline carries no text: the reason goes to the model as a steer of the same turn, sent before the decline so
    /// it is in the very request that follows it.
    /// </summary>
    private async Task TellDeniedAsync(JsonObject? parameters, string? message)
    {
        if (string.IsNullOrWhiteSpace(message) || Text(parameters, "threadId") is not { } thread || Text(parameters, "turnId") is not { } turn)
        {
            return;
        }

        try
        {
            await CallAsync("turn/steer", new JsonObject { ["threadId"] = thread, ["expectedTurnId"] = turn, ["input"] = Input(message) }, CancellationToken.None);
        }
        catch (Exception e) when (e is JsonRpcException or OperationCanceledException)
        {
            Note($"[fleet] the denial's message did not reach codex: {e.Message}");
        }
    }

    // The JsonNode constructor, not a collection expression: its generic Add is not AOT-safe.
    private static JsonArray Input(string text) => new(new JsonObject { ["type"] = "text", ["text"] = text });

    private Task<JsonNode?> CallAsync(string method, JsonObject parameters, CancellationToken cancellationToken) =>
        Rpc.CallAsync(method, parameters, cancellationToken);

    /// <summary>
    /// Closes stdin, so app-server ends. <paramref name="onlyIfIdle"/>: unless a turn was asked for since the last one
    /// ended (a message that came just then).
    /// </summary>
    private Task CloseStdinAsync(bool onlyIfIdle = false) => Rpc.CloseAsync(onlyIfIdle ? () =>
    {
        lock (_turnLock)
        {
            return _openTurns <= 0;
        }
    }
    : null);

    private static string? Text(JsonObject? node, string name) => JsonRpcStdio.Text(node, name);
}

/// <summary>Codex's commands as fleet's rules see them.</summary>
public static class CodexCommands
{
    private static readonly string[] Shells = ["bash", "sh", "zsh", "dash"];

    /// <summary>
    /// The script inside codex's own shell wrapper (<c>/bin/bash -lc 'rm -rf build'</c> → <c>rm -rf build</c>), so the
    /// rules judge the command the model wrote, as they do claude's; any other command as it is.
    /// </summary>
    public static string Unwrap(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var shell = ShellCommand.Parse(command);
        if (shell.Parts.Count == 1 && !shell.HasSubstitution && shell.Parts[0] is [var program, var flag, var script]
            && Shells.Contains(Path.GetFileName(program), StringComparer.Ordinal) && flag is "-c" or "-lc")
        {
            return script;
        }

        return command;
    }
}

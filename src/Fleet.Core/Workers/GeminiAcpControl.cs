using System.Text.Json.Nodes;
using Fleet.Providers;

namespace Fleet.Workers;

/// <summary>
/// The client side of <c>gemini --acp</c> (the Agent Client Protocol: JSON-RPC 2.0, one message a line on stdio), run by
/// the shim, which holds the agent's stdin:
/// <list type="bullet">
/// <item><c>initialize</c>, then <c>session/new</c> (or <c>session/load</c> of the worker's session from its previous
/// iteration) and <c>session/prompt</c> with the brief;</item>
/// <item>answers each <c>session/request_permission</c> through the worker's <see cref="GateKeeper"/>, as claude's are
/// (<see cref="GeminiGates.Request"/> says what the rules see); a denial's message reaches the model as the next prompt,
/// since a rejection carries no text;</item>
/// <item>a person's message: ACP takes input only as a prompt, and a prompt sent while one runs cancels it, so a message
/// that comes mid-prompt waits in the shim and is the next prompt once the running one ends; with <c>now</c> the running
/// prompt is cancelled (<c>session/cancel</c>) first;</item>
/// <item>closes stdin once the last prompt has ended and nothing waits, so gemini ends.</item>
/// </list>
/// The log keeps gemini's stdout as it is: the stream reader reads its updates and each prompt's usage.
/// </summary>
internal sealed class GeminiAcpControl : JsonRpcAgentSession
{
    private const int ProtocolVersion = 1;

    private readonly GeminiAcpSession _session;
    private readonly object _lock = new();
    private readonly List<string> _waiting = [];
    private readonly List<CancellationTokenSource> _cancelled = [];
    private CancellationTokenSource _withdraw = new();
    private string? _sessionId;

    // Under _lock: a prompt is running (or about to be sent); an interrupt holds stdin open for the message that follows;
    // stdin is being closed (the last prompt ended and nothing waits), so no message is taken any more.
    private bool _prompting;
    private bool _held;
    private bool _closing;

    public GeminiAcpControl(WorkerLaunchSpec spec, TimeProvider time, Action<string> note)
        : base(spec, "gemini", versionField: true, time, note) =>
        _session = spec.GeminiSession ?? throw new ArgumentException("the spec has no gemini_session.", nameof(spec));

    /// <summary>The session, once gemini has started or loaded it.</summary>
    public string? SessionId => Volatile.Read(ref _sessionId);

    /// <summary>
    /// Gives the model <paramref name="text"/> as a prompt: at once between prompts; while one runs, as the next prompt
    /// once it ends (or, with <paramref name="now"/>, once it has been cancelled). Returns once the message is sent or
    /// waits in the shim for the running prompt's end.
    /// </summary>
    public override async Task SayAsync(string text, bool now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var session = SessionId ?? throw new SteeringRefusedException("gemini has not started its session yet");
        bool start;
        lock (_lock)
        {
            if (_closing || Rpc.IsClosed)
            {
                throw new SteeringRefusedException("gemini has finished its last prompt and takes no more input");
            }

            _waiting.Add(text);
            start = !_prompting;
            _prompting = true;
            _held = false;
        }

        if (start)
        {
            Track(PromptAsync(session, null));
        }
        else if (now)
        {
            await CancelPromptAsync(session).WaitAsync(cancellationToken);
        }

        Note($"[fleet] a person says{(start ? string.Empty : now ? " (after cancelling the running prompt)" : " (the next prompt, once the running one ends)")}: {Fleet.Telemetry.Privacy.SecretMasker.Mask(text)}");
    }

    /// <summary>Cancels the running prompt (<c>session/cancel</c>); gemini stays and waits for the next <see cref="SayAsync"/>.</summary>
    public override async Task InterruptAsync(CancellationToken cancellationToken)
    {
        var session = SessionId ?? throw new SteeringRefusedException("gemini has not started its session yet");
        lock (_lock)
        {
            if (_closing || Rpc.IsClosed)
            {
                throw new SteeringRefusedException("gemini has finished its last prompt and takes no more input");
            }

            _held = true;
        }

        await CancelPromptAsync(session).WaitAsync(cancellationToken);
        Note("[fleet] a person interrupted the prompt; the agent waits for `fleet say`");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                foreach (var cts in _cancelled.Append(_withdraw))
                {
                    cts.Dispose();
                }
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// Cancels the running prompt. ACP asks the client to answer the prompt's pending permission requests as cancelled:
    /// their gates are withdrawn (closed unanswered in the inbox) and gemini is told <c>cancelled</c>.
    /// </summary>
    private async Task CancelPromptAsync(string session)
    {
        CancellationTokenSource withdrawn;
        lock (_lock)
        {
            withdrawn = _withdraw;
            _cancelled.Add(withdrawn);
            _withdraw = new CancellationTokenSource();
        }

        await Rpc.NotifyAsync("session/cancel", new JsonObject { ["sessionId"] = session });
        await withdrawn.CancelAsync();
    }

    protected override async Task HandshakeAsync()
    {
        var step = "initialize";
        try
        {
            // No fs or terminal capability: gemini reads, writes and runs commands itself, after asking.
            await Rpc.CallAsync(step, new JsonObject
            {
                ["protocolVersion"] = ProtocolVersion,
                ["clientCapabilities"] = new JsonObject { ["fs"] = new JsonObject { ["readTextFile"] = false, ["writeTextFile"] = false }, ["terminal"] = false },
            }, CancellationToken.None);

            var cwd = Path.GetFullPath(Spec.WorkingDirectory ?? Directory.GetCurrentDirectory());
            string session;
            if (_session.ResumeSession is { } resume)
            {
                step = "session/load";
                await Rpc.CallAsync(step, new JsonObject { ["sessionId"] = resume, ["cwd"] = cwd, ["mcpServers"] = new JsonArray() }, CancellationToken.None);
                session = resume;
            }
            else
            {
                step = "session/new";
                var created = await Rpc.CallAsync(step, new JsonObject { ["cwd"] = cwd, ["mcpServers"] = new JsonArray() }, CancellationToken.None);
                session = JsonRpcStdio.Text(created as JsonObject, "sessionId") ?? throw new JsonRpcException("the answer names no session");
            }

            Volatile.Write(ref _sessionId, session);
            lock (_lock)
            {
                _prompting = true;
            }

            await PromptAsync(session, _session.Prompt);
        }
        catch (JsonRpcException e)
        {
            Failure = $"gemini refused {step}: {e.Message}";
            Note($"[fleet] {Failure}");
            await Rpc.CloseAsync();
        }
        catch (OperationCanceledException)
        {
            // The agent ended during the handshake: its exit says why.
        }
    }

    /// <summary>
    /// Runs prompts until none waits: <paramref name="first"/> (or the waiting messages), then each batch of messages that
    /// came while one ran. Closes stdin after the last unless an interrupt holds it for a message to come.
    /// </summary>
    private async Task PromptAsync(string session, string? first)
    {
        var text = first;
        while (true)
        {
            lock (_lock)
            {
                if (text is null)
                {
                    if (_waiting.Count == 0)
                    {
                        _prompting = false;
                        break;
                    }

                    text = string.Join("\n\n", _waiting);
                    _waiting.Clear();
                }
            }

            try
            {
                await Rpc.CallAsync("session/prompt", new JsonObject { ["sessionId"] = session, ["prompt"] = Prompt(text) }, CancellationToken.None);
            }
            catch (JsonRpcException e)
            {
                // The failure is in the log for the stream reader; waiting messages still get their prompt.
                Note($"[fleet] gemini's prompt ended in an error: {e.Message}");
                if (Rpc.IsClosed)
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            text = null;
        }

        await Rpc.CloseAsync(() =>
        {
            lock (_lock)
            {
                _closing = !_prompting && !_held && _waiting.Count == 0;
                return _closing;
            }
        });
    }

    protected override async Task HandleRequestAsync(JsonNode id, string method, JsonObject? parameters, DateTimeOffset askedAt)
    {
        if (method != "session/request_permission")
        {
            await Rpc.RefuseAsync(id, -32601, $"fleet does not handle {method}");
            return;
        }

        var request = GeminiGates.Request(parameters?["toolCall"] as JsonObject);
        var options = parameters?["options"] as JsonArray;
        CancellationToken withdrawn;
        lock (_lock)
        {
            withdrawn = _withdraw.Token;
        }

        var answered = false;
        await Gates.DecideAsync(
            request.Tool,
            request.Input,
            askedAt,
            verdict =>
            {
                answered = true;
                return AnswerAsync(id, options, verdict);
            },
            withdrawn,
            request.AlsoFor,
            GeminiGates.UnaskedBy(_session.PermissionMode, request, Path.GetFullPath(Spec.WorkingDirectory ?? Directory.GetCurrentDirectory())));
        if (!answered && withdrawn.IsCancellationRequested)
        {
            await Rpc.AnswerAsync(id, new JsonObject { ["outcome"] = new JsonObject { ["outcome"] = "cancelled" } });
        }
    }

    private async Task AnswerAsync(JsonNode id, JsonArray? options, GateVerdict verdict)
    {
        if (!verdict.Allowed && !string.IsNullOrWhiteSpace(verdict.Message))
        {
            // A rejection carries no text: the reason is the next prompt.
            lock (_lock)
            {
                _waiting.Add(verdict.Message);
            }
        }

        var option = GeminiGates.Option(options, verdict.Allowed ? "allow_once" : "reject_once");
        await Rpc.AnswerAsync(id, new JsonObject { ["outcome"] = new JsonObject { ["outcome"] = "selected", ["optionId"] = option } });
    }

    // The JsonNode constructor, not a collection expression: its generic Add is not AOT-safe.
    private static JsonArray Prompt(string text) => new(new JsonObject { ["type"] = "text", ["text"] = text });
}

using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Telemetry.Privacy;

namespace Fleet.Workers;

/// <summary>
/// The host side of claude's control protocol (<c>--input-format stream-json --permission-prompt-tool stdio</c>),
/// run by the shim, which holds the agent's stdin:
/// <list type="bullet">
/// <item>sends the brief as the first user message: <c>{"type":"user","message":{"role":"user","content":"…"}}</c>;</item>
/// <item>answers each <c>control_request</c> <c>can_use_tool</c> with a <c>control_response</c>: at once when a rule decides,
/// else after a person's answer file appears (the request waits as long as it takes: no timeout ends a worker);</item>
/// <item>hands a person's messages to the agent as further user messages, and interrupts its turn with a
/// <c>control_request</c> of subtype <c>interrupt</c> (<see cref="IAgentSteering"/>);</item>
/// <item>closes stdin after a <c>result</c> event once claude has taken every message written to it, so claude ends.</item>
/// </list>
/// Claude (with <c>--replay-user-messages</c>) echoes each user message when it takes it: mid-turn at the next tool
/// boundary, or as a new turn after a <c>result</c>. A result that arrives before the echo of a message written
/// just before it does not end the worker: the message is the next turn, and the result after that closes stdin.
/// The gates themselves (policy, inbox, records) are the <see cref="GateKeeper"/>'s, shared with codex's app-server session.
/// </summary>
internal sealed class ClaudeControl : IAgentSession
{
    // Claude answers an interrupt in well under a second; past this the interrupt is written and we stop waiting.
    private static readonly TimeSpan InterruptReplyWait = TimeSpan.FromSeconds(10);

    private readonly WorkerLaunchSpec _spec;
    private readonly GateKeeper _gates;
    private readonly TimeProvider _time;
    private readonly Action<string> _note;
    private readonly TaskCompletionSource<Stream> _stdin = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _stdinLock = new(1, 1);
    private readonly CancellationTokenSource _ended = new();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> _work = [];
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string?>> _controlReplies = new(StringComparer.Ordinal);
    private int _interrupts;
    private bool _stdinClosed;

    // Under _stdinLock: user messages written (the brief and each steer), and whether an interrupted turn's result must
    // leave stdin open because the person's message is still to come. _taken counts claude's echoes of them.
    private int _written;
    private bool _holdOpen;
    private int _taken;

    public ClaudeControl(WorkerLaunchSpec spec, TimeProvider time, Action<string> note)
    {
        _spec = spec;
        _gates = new GateKeeper(spec, time, note);
        _time = time;
        _note = note;
    }

    /// <summary>Gives the agent's stdin once it is started.</summary>
    public string? Failure => null;

    public void Attach(Stream stdin) => _stdin.TrySetResult(stdin);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await WriteSteerAsync(UserMessage(_spec.PromptOnStdin!), userMessage: true, holdOpen: false, cancellationToken);
        }
        catch (SteeringRefusedException)
        {
            // The agent ended before it read its brief: its exit is the outcome on record.
        }
    }

    public async Task SayAsync(string text, bool now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (now)
        {
            await InterruptCoreAsync(cancellationToken);
        }

        await WriteSteerAsync(UserMessage(text), userMessage: true, holdOpen: false, cancellationToken);
        _note($"[fleet] a person says{(now ? " (after an interrupt)" : string.Empty)}: {SecretMasker.Mask(text)}");
    }

    public async Task InterruptAsync(CancellationToken cancellationToken)
    {
        await InterruptCoreAsync(cancellationToken);
        _note("[fleet] a person interrupted the turn; the agent waits for `fleet say`");
    }

    /// <summary>Interrupts the turn and keeps stdin open past the interrupted turn's result, for the message that follows.</summary>
    private async Task InterruptCoreAsync(CancellationToken cancellationToken)
    {
        var id = "fleet-interrupt-" + Interlocked.Increment(ref _interrupts).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var reply = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _controlReplies[id] = reply;
        try
        {
            var request = new JsonObject
            {
                ["type"] = "control_request",
                ["request_id"] = id,
                ["request"] = new JsonObject { ["subtype"] = "interrupt" },
            };
            await WriteSteerAsync(request, userMessage: false, holdOpen: true, cancellationToken);
            try
            {
                // Claude answers once the turn is stopped; an error (no turn running) changes nothing for the caller.
                await reply.Task.WaitAsync(InterruptReplyWait, _time, cancellationToken);
            }
            catch (TimeoutException)
            {
            }
        }
        finally
        {
            _controlReplies.TryRemove(id, out _);
        }
    }

    private static JsonObject UserMessage(string text) => new()
    {
        ["type"] = "user",
        ["message"] = new JsonObject { ["role"] = "user", ["content"] = text },
    };

    /// <summary>
    /// Writes a user message or an interrupt under the stdin lock, so it is either written before stdin is closed or
    /// refused: a message is never lost between a <c>result</c> and the close that follows it.
    /// </summary>
    private async Task WriteSteerAsync(JsonObject message, bool userMessage, bool holdOpen, CancellationToken cancellationToken)
    {
        if (!_stdin.Task.IsCompletedSuccessfully || _ended.IsCancellationRequested)
        {
            throw new SteeringRefusedException(_stdin.Task.IsCompletedSuccessfully || _stdin.Task.IsCompleted ? "the agent has ended" : "the agent has not started yet");
        }

        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString() + "\n");
        await _stdinLock.WaitAsync(cancellationToken);
        try
        {
            if (_stdinClosed)
            {
                throw new SteeringRefusedException("the agent has finished its last turn and takes no more input");
            }

            var stdin = _stdin.Task.Result;
            await stdin.WriteAsync(bytes, cancellationToken);
            await stdin.FlushAsync(cancellationToken);
            if (userMessage)
            {
                _written++;
                _holdOpen = false;
            }
            else if (holdOpen)
            {
                _holdOpen = true;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            throw new SteeringRefusedException("the agent has ended", e);
        }
        finally
        {
            _stdinLock.Release();
        }
    }

    /// <summary>Called for every stdout line, in order, on the reading thread: never blocks.</summary>
    public void OnLine(ReadOnlySpan<byte> line)
    {
        if (line.IndexOf("\"control_"u8) < 0 && line.IndexOf("\"result\""u8) < 0 && line.IndexOf("\"isReplay\""u8) < 0)
        {
            return;
        }

        JsonObject? root;
        try
        {
            root = JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return;
        }

        switch (Text(root, "type"))
        {
            case "user" when root!["isReplay"] is JsonValue replay && replay.GetValueKind() == JsonValueKind.True:
                Interlocked.Increment(ref _taken);
                break;
            case "result":
                // Counted here, in stream order: a message whose echo comes after this result is the next turn.
                Track(CloseStdinAfterResultAsync(Volatile.Read(ref _taken)));
                break;
            case "control_response" when root!["response"] is JsonObject response && Text(response, "request_id") is { } answered:
                if (_controlReplies.TryGetValue(answered, out var waiting))
                {
                    waiting.TrySetResult(Text(response, "error"));
                }

                break;
            case "control_request" when Text(root, "request_id") is { } requestId:
                var askedAt = _time.GetUtcNow();
                var request = root!["request"] as JsonObject;
                Track(Text(request, "subtype") == "can_use_tool"
                    ? HandleAsync(requestId, Text(request, "tool_name") ?? "unknown", request!["input"] as JsonObject, askedAt)
                    : RespondErrorAsync(requestId, $"fleet does not handle control requests of subtype {Text(request, "subtype") ?? "(none)"}"));
                break;
            case "control_cancel_request" when Text(root, "request_id") is { } cancelled:
                if (_pending.TryGetValue(cancelled, out var cts))
                {
                    cts.Cancel();
                }

                break;
            default:
                break;
        }
    }

    /// <summary>The agent has ended: pending gates are closed (decided by <c>closed</c>) and every write finishes.</summary>
    public async Task CompleteAsync()
    {
        _stdin.TrySetCanceled();
        await _ended.CancelAsync();
        await _gates.EndAsync();
        try
        {
            await Task.WhenAll(_work);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _ended.Dispose();
        _stdinLock.Dispose();
        _gates.Dispose();
    }

    private void Track(Task task) => _work.Add(task);

    private async Task HandleAsync(string requestId, string tool, JsonObject? input, DateTimeOffset askedAt)
    {
        using var withdrawn = new CancellationTokenSource();
        _pending[requestId] = withdrawn;
        try
        {
            await _gates.DecideAsync(tool, input, askedAt, v => RespondAsync(requestId, v.Allowed ? Allow(input, v.Answers) : Deny(v.Message!)), withdrawn.Token);
        }
        finally
        {
            _pending.TryRemove(requestId, out _);
        }
    }

    private static JsonObject Allow(JsonObject? input, IReadOnlyDictionary<string, string>? answers = null)
    {
        var updated = (JsonObject?)input?.DeepClone() ?? [];
        if (answers is not null)
        {
            var map = new JsonObject();
            foreach (var (question, answer) in answers)
            {
                map[question] = answer;
            }

            updated["answers"] = map;
        }

        return new JsonObject { ["behavior"] = "allow", ["updatedInput"] = updated };
    }

    private static JsonObject Deny(string message) => new() { ["behavior"] = "deny", ["message"] = message };

    private Task RespondAsync(string requestId, JsonObject response) => WriteLineAsync(
        new JsonObject
        {
            ["type"] = "control_response",
            ["response"] = new JsonObject { ["subtype"] = "success", ["request_id"] = requestId, ["response"] = response },
        },
        CancellationToken.None);

    private Task RespondErrorAsync(string requestId, string error) => WriteLineAsync(
        new JsonObject
        {
            ["type"] = "control_response",
            ["response"] = new JsonObject { ["subtype"] = "error", ["request_id"] = requestId, ["error"] = error },
        },
        CancellationToken.None);

    /// <summary>A control response: written when stdin is open, dropped when the agent is gone (nobody is left to answer).</summary>
    private async Task WriteLineAsync(JsonObject message, CancellationToken cancellationToken)
    {
        Stream stdin;
        try
        {
            stdin = await _stdin.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString() + "\n");
        await _stdinLock.WaitAsync(CancellationToken.None);
        try
        {
            if (!_stdinClosed)
            {
                await stdin.WriteAsync(bytes, cancellationToken);
                await stdin.FlushAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The agent is gone: nobody is left to answer.
        }
        finally
        {
            _stdinLock.Release();
        }
    }

    private async Task CloseStdinAfterResultAsync(int takenAtResult)
    {
        if (!_stdin.Task.IsCompletedSuccessfully)
        {
            return;
        }

        await _stdinLock.WaitAsync(CancellationToken.None);
        try
        {
            if (!_stdinClosed && !_holdOpen && takenAtResult >= _written)
            {
                _stdinClosed = true;
                await _stdin.Task.Result.DisposeAsync();
            }
        }
        catch (IOException)
        {
        }
        finally
        {
            _stdinLock.Release();
        }
    }

    private static string? Text(JsonObject? node, string name) =>
        node?[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}

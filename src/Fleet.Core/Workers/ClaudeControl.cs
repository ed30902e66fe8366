using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Workers;

/// <summary>
/// The host side of claude's control protocol (<c>--input-format stream-json --permission-prompt-tool stdio</c>),
/// run by the shim, which holds the agent's stdin:
/// <list type="bullet">
/// <item>sends the brief as the first user message: <c>{"type":"user","message":{"role":"user","content":"…"}}</c>;</item>
/// <item>answers each <c>control_request</c> <c>can_use_tool</c> with a <c>control_response</c>: at once when a rule decides,
/// else after a person's answer file appears (the request waits as long as it takes: no timeout ends a worker);</item>
/// <item>closes stdin after the <c>result</c> event, so claude ends.</item>
/// </list>
/// The gates themselves (policy, inbox, records) are the <see cref="GateKeeper"/>'s, shared with codex's app-server session.
/// </summary>
internal sealed class ClaudeControl : IAgentSession
{
    private readonly WorkerLaunchSpec _spec;
    private readonly GateKeeper _gates;
    private readonly TaskCompletionSource<Stream> _stdin = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _stdinLock = new(1, 1);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> _work = [];
    private readonly TimeProvider _time;
    private bool _stdinClosed;

    public ClaudeControl(WorkerLaunchSpec spec, TimeProvider time, Action<string> note)
    {
        _spec = spec;
        _gates = new GateKeeper(spec, time, note);
        _time = time;
    }

    public string? Failure => null;

    public void Attach(Stream stdin) => _stdin.TrySetResult(stdin);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var message = new JsonObject
        {
            ["type"] = "user",
            ["message"] = new JsonObject { ["role"] = "user", ["content"] = _spec.PromptOnStdin },
        };
        return WriteLineAsync(message, cancellationToken);
    }

    public void OnLine(ReadOnlySpan<byte> line)
    {
        if (line.IndexOf("\"control_"u8) < 0 && line.IndexOf("\"result\""u8) < 0)
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
            case "result":
                Track(CloseStdinAsync());
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

    public async Task CompleteAsync()
    {
        _stdin.TrySetCanceled();
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
        _gates.Dispose();
        _stdinLock.Dispose();
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

    private async Task CloseStdinAsync()
    {
        if (!_stdin.Task.IsCompletedSuccessfully)
        {
            return;
        }

        await _stdinLock.WaitAsync(CancellationToken.None);
        try
        {
            if (!_stdinClosed)
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

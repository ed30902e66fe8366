using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Workers;

/// <summary>
/// The client side of JSON-RPC 2.0 on an agent's stdio, one message a line, as the shim speaks it to
/// <c>codex app-server</c> and to gemini's ACP mode: calls that wait for their answer, notifications, answers to the
/// agent's own requests, and closing stdin (which ends both agents). Writes are serialized; stdout lines are handed
/// in by the session that reads them (<see cref="TryTakeAnswer"/>).
/// </summary>
internal sealed class JsonRpcStdio : IDisposable
{
    private readonly TaskCompletionSource<Stream> _stdin = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonNode?>> _calls = new();
    private readonly string _agent;
    private readonly bool _versionField;
    private long _nextId;
    private volatile bool _closed;

    /// <param name="agent">How error messages name the agent (<c>codex</c>, <c>gemini</c>).</param>
    /// <param name="versionField">Whether each message carries <c>"jsonrpc":"2.0"</c> (ACP requires it; codex's wire leaves it out).</param>
    public JsonRpcStdio(string agent, bool versionField)
    {
        _agent = agent;
        _versionField = versionField;
    }

    /// <summary>Stdin has been closed (the agent takes no more input).</summary>
    public bool IsClosed => _closed;

    public void Attach(Stream stdin) => _stdin.TrySetResult(stdin);

    /// <summary>The agent has ended: every call still waiting is cancelled, and nothing more is written.</summary>
    public void Abandon()
    {
        _stdin.TrySetCanceled();
        foreach (var call in _calls.Values)
        {
            call.TrySetCanceled();
        }
    }

    /// <summary>Completes the call <paramref name="message"/> answers; false when it is not an answer to one of ours.</summary>
    public bool TryTakeAnswer(JsonObject message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message["method"] is not null || message["id"] is not JsonValue id || !id.TryGetValue<long>(out var callId) || !_calls.TryRemove(callId, out var call))
        {
            return false;
        }

        if (message["error"] is JsonObject error)
        {
            call.TrySetException(new JsonRpcException(Text(error, "message") ?? error.ToJsonString()));
        }
        else
        {
            call.TrySetResult(message["result"]?.DeepClone());
        }

        return true;
    }

    /// <summary>Calls <paramref name="method"/> and waits for its answer.</summary>
    /// <exception cref="JsonRpcException">The agent answered with an error, or its stdin is closed.</exception>
    public async Task<JsonNode?> CallAsync(string method, JsonObject parameters, CancellationToken cancellationToken)
    {
        if (_closed)
        {
            throw new JsonRpcException($"{_agent} has finished its last turn and takes no more input");
        }

        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls[id] = answer;
        if (!await WriteAsync(new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters }))
        {
            _calls.TryRemove(id, out _);
            throw new JsonRpcException($"{_agent}'s stdin is closed");
        }

        return await answer.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Sends a notification; false when stdin is gone or closed.</summary>
    public Task<bool> NotifyAsync(string method, JsonObject? parameters = null)
    {
        var message = new JsonObject { ["method"] = method };
        if (parameters is not null)
        {
            message["params"] = parameters;
        }

        return WriteAsync(message);
    }

    /// <summary>Answers the agent's request <paramref name="id"/>.</summary>
    public Task<bool> AnswerAsync(JsonNode id, JsonNode result) =>
        WriteAsync(new JsonObject { ["id"] = id.DeepClone(), ["result"] = result });

    /// <summary>Answers the agent's request <paramref name="id"/> with an error.</summary>
    public Task<bool> RefuseAsync(JsonNode id, int code, string message) =>
        WriteAsync(new JsonObject { ["id"] = id.DeepClone(), ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    /// <summary>
    /// Closes stdin, so the agent ends; with <paramref name="onlyIf"/>, only when it still holds, checked under the write
    /// lock, so a request written just before (a message that came just then) is never cut off.
    /// </summary>
    public async Task CloseAsync(Func<bool>? onlyIf = null)
    {
        if (!_stdin.Task.IsCompletedSuccessfully)
        {
            return;
        }

        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            if (!_closed && (onlyIf is null || onlyIf()))
            {
                _closed = true;
                await _stdin.Task.Result.DisposeAsync();
            }
        }
        catch (IOException)
        {
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void Dispose() => _writeLock.Dispose();

    /// <summary>A string property, or null when absent or not a string.</summary>
    public static string? Text(JsonObject? node, string name) =>
        node?[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>Parses one stdout line as a JSON-RPC message; null when it is not a JSON object.</summary>
    public static JsonObject? Parse(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes one message; false when stdin is gone or closed.</summary>
    private async Task<bool> WriteAsync(JsonObject message)
    {
        Stream stdin;
        try
        {
            stdin = await _stdin.Task;
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        if (_versionField)
        {
            message["jsonrpc"] = "2.0";
        }

        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString() + "\n");
        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            if (_closed)
            {
                return false;
            }

            await stdin.WriteAsync(bytes, CancellationToken.None);
            await stdin.FlushAsync(CancellationToken.None);
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            _writeLock.Release();
        }
    }
}

/// <summary>The agent answered a call with an error, or could not be asked.</summary>
internal sealed class JsonRpcException(string message) : Exception(message);

using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Fleet.Workers;

/// <summary>
/// What an <see cref="IAgentSession"/> over JSON-RPC on stdio does the same whatever the agent (codex's app-server,
/// gemini's ACP): the handshake runs beside the shim's reading of stdout, every stdout line that answers one of ours
/// completes its call, every request of the agent is handled on its own task, and at the end pending gates close and
/// every task finishes. The agent's protocol is in <see cref="HandshakeAsync"/>, <see cref="HandleRequestAsync"/> and
/// <see cref="OnNotification"/>.
/// </summary>
internal abstract class JsonRpcAgentSession : IAgentSession
{
    private readonly ConcurrentBag<Task> _work = [];

    protected JsonRpcAgentSession(WorkerLaunchSpec spec, string agent, bool versionField, TimeProvider time, Action<string> note)
    {
        Spec = spec;
        Rpc = new JsonRpcStdio(agent, versionField);
        Gates = new GateKeeper(spec, time, note);
        Time = time;
        Note = note;
    }

    public string? Failure { get; protected set; }

    protected WorkerLaunchSpec Spec { get; }

    protected JsonRpcStdio Rpc { get; }

    protected GateKeeper Gates { get; }

    protected TimeProvider Time { get; }

    protected Action<string> Note { get; }

    public void Attach(Stream stdin) => Rpc.Attach(stdin);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The answers arrive on stdout, which the shim reads after this returns: the handshake runs beside it.
        Track(HandshakeAsync());
        return Task.CompletedTask;
    }

    public void OnLine(ReadOnlySpan<byte> line)
    {
        var root = JsonRpcStdio.Parse(line);
        if (root is null || Rpc.TryTakeAnswer(root) || JsonRpcStdio.Text(root, "method") is not { } method)
        {
            return;
        }

        if (root["id"] is { } requestId)
        {
            Track(HandleRequestAsync(requestId.DeepClone(), method, root["params"] as JsonObject, Time.GetUtcNow()));
            return;
        }

        OnNotification(method, root["params"] as JsonObject);
    }

    public abstract Task SayAsync(string text, bool now, CancellationToken cancellationToken);

    public abstract Task InterruptAsync(CancellationToken cancellationToken);

    public async Task CompleteAsync()
    {
        Rpc.Abandon();
        await Gates.EndAsync();
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
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Gates.Dispose();
            Rpc.Dispose();
        }
    }

    /// <summary>Runs <paramref name="task"/> beside the reading of stdout; <see cref="CompleteAsync"/> waits for it.</summary>
    protected void Track(Task task) => _work.Add(task);

    /// <summary>Asks the agent for its session and sends the brief.</summary>
    protected abstract Task HandshakeAsync();

    /// <summary>Answers one request of the agent (a permission request …); an unknown one with an error.</summary>
    protected abstract Task HandleRequestAsync(JsonNode id, string method, JsonObject? parameters, DateTimeOffset askedAt);

    /// <summary>One notification of the agent, on the reading thread: never blocks.</summary>
    protected virtual void OnNotification(string method, JsonObject? parameters)
    {
    }
}

using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Processes;

namespace Fleet.Workers;

/// <summary>A person's request to a running worker's shim: a message to say (<see cref="Say"/>) or an interrupt.</summary>
public sealed record SteerRequest
{
    public string? Say { get; init; }

    /// <summary>With <see cref="Say"/>: interrupt the current turn first.</summary>
    public bool Now { get; init; }

    public bool Interrupt { get; init; }
}

/// <summary>The shim's answer: the agent has it (<see cref="Ok"/>), or why not.</summary>
public sealed record SteerReply
{
    public bool Ok { get; init; }

    public string? Error { get; init; }

    /// <summary>When the shim wrote it to the agent's input.</summary>
    public DateTimeOffset? HandedAt { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SteerRequest))]
[JsonSerializable(typeof(SteerReply))]
internal sealed partial class SteerLinkJsonContext : JsonSerializerContext;

/// <summary>
/// The steering channel from <c>fleet say</c>/<c>fleet interrupt</c> (and a steerable window) to a running worker's
/// shim: a Unix stream socket in the abstract namespace that the shim listens on while its agent runs, named after the
/// worker's token in its claim (<c>run.json</c>, readable only by its owner), accepted only from the same user. One
/// request line, one reply line, JSON. It goes to the shim directly, so it works with the orchestrator down.
/// </summary>
public static class SteerLink
{
    // A message a person types is small; a peer that sends more without a newline is not fleet.
    private const int MaxLine = 1024 * 1024;

    /// <summary>The socket's name for a worker token: a hash, so the name says nothing of the token.</summary>
    public static string NameFor(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        return "fleet-steer-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..32];
    }

    /// <summary>Sends one request to the shim of the worker with <paramref name="token"/>; null when no shim listens for it.</summary>
    public static async Task<SteerReply?> SendAsync(string token, SteerRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(ShimLink.EndPointFor(NameFor(token)), cancellationToken);
        }
        catch (SocketException)
        {
            return null;
        }

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await WriteLineAsync(stream, JsonSerializer.SerializeToUtf8Bytes(request, SteerLinkJsonContext.Default.SteerRequest), cancellationToken);
        var line = await ReadLineAsync(stream, cancellationToken);
        if (line is null)
        {
            return new SteerReply { Error = "the worker's shim closed the connection without an answer" };
        }

        try
        {
            return JsonSerializer.Deserialize(line, SteerLinkJsonContext.Default.SteerReply) ?? new SteerReply { Error = "the shim's answer was empty" };
        }
        catch (JsonException)
        {
            return new SteerReply { Error = "the shim's answer was not JSON" };
        }
    }

    /// <summary>Listens for the worker with <paramref name="token"/>; null when the socket cannot be made (steering is then refused, the run goes on).</summary>
    internal static SteerListener? TryListen(string token, IAgentSteering steering, TimeProvider time, Action<string> note)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(ShimLink.EndPointFor(NameFor(token)));
            socket.Listen(16);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            note($"[fleet] steering is off for this worker: cannot listen ({e.Message})");
            return null;
        }

        return new SteerListener(socket, steering, time);
    }

    private static async Task WriteLineAsync(Stream stream, byte[] json, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(json, cancellationToken);
        await stream.WriteAsync("\n"u8.ToArray(), cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    private static async Task<byte[]?> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        while (buffer.Length < MaxLine)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                return null;
            }

            var newline = Array.IndexOf(chunk, (byte)'\n', 0, read);
            buffer.Write(chunk, 0, newline >= 0 ? newline : read);
            if (newline >= 0)
            {
                return buffer.ToArray();
            }
        }

        return null;
    }

    /// <summary>The shim's end: serves each connection's one request with the run's <see cref="IAgentSteering"/>.</summary>
    internal sealed class SteerListener(Socket listener, IAgentSteering steering, TimeProvider time) : IAsyncDisposable
    {
        private static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(30);
        private readonly CancellationTokenSource _stop = new();
        private Task? _accepting;

        public void Start() => _accepting = AcceptAsync(_stop.Token);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            listener.Dispose();
            if (_accepting is not null)
            {
                try
                {
                    await _accepting;
                }
                catch (OperationCanceledException)
                {
                }
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync(CancellationToken token)
        {
            while (!token.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptAsync(token);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    return;
                }

                if (!PeerCredentials.IsSameUser(client))
                {
                    client.Dispose();
                    continue;
                }

                _ = ServeAsync(client, token);
            }
        }

        private async Task ServeAsync(Socket client, CancellationToken token)
        {
            using var _ = client;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
            deadline.CancelAfter(RequestDeadline);
            try
            {
                await using var stream = new NetworkStream(client, ownsSocket: false);
                var line = await ReadLineAsync(stream, deadline.Token);
                if (line is null)
                {
                    return;
                }

                var reply = await HandleAsync(line, steering, time, deadline.Token);
                await WriteLineAsync(stream, JsonSerializer.SerializeToUtf8Bytes(reply, SteerLinkJsonContext.Default.SteerReply), deadline.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The asker went away or the shim is ending: nothing to answer.
            }
        }
    }

    /// <summary>
    /// The steering folder of a worker whose shim runs on another machine (a slurm node), where the abstract socket
    /// cannot reach: <c>iterations/N/&lt;id&gt;.steer/</c> on the shared file system. A request is a file
    /// <c>&lt;n&gt;.request.json</c>; the shim takes it (deletes it), hands it over and writes <c>&lt;n&gt;.reply.json</c>.
    /// </summary>
    public static string MailboxDir(string iterationDir, string worker) => Path.Combine(iterationDir, worker + ".steer");

    /// <summary>How often a remote shim looks into its steering folder: file events do not cross machines.</summary>
    public static readonly TimeSpan MailboxPoll = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Sends one request through the steering folder and waits up to <paramref name="wait"/> for the shim's reply; a
    /// request not taken by then is withdrawn, so it can never arrive late.
    /// </summary>
    public static async Task<SteerReply> SendThroughFilesAsync(string mailbox, SteerRequest request, TimeProvider time, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(time);
        Paths.PrivateFiles.CreateDirectory(mailbox);
        var id = Guid.NewGuid().ToString("N");
        var path = Path.Combine(mailbox, id + ".request.json");
        var replyPath = Path.Combine(mailbox, id + ".reply.json");
        await Paths.PrivateFiles.ReplaceAsync(path, JsonSerializer.Serialize(request, SteerLinkJsonContext.Default.SteerRequest), cancellationToken);
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            if (TryTakeReply(replyPath) is { } reply)
            {
                return reply;
            }

            if (time.GetUtcNow() >= deadline)
            {
                if (TryDelete(path))
                {
                    return new SteerReply { Error = $"its shim did not take the message within {wait.TotalSeconds:0} s (it reads {Path.GetFileName(mailbox)}/ in the iteration folder; is the node's view of the shared file system current?)" };
                }

                // Taken just now: the answer follows shortly.
                deadline = time.GetUtcNow() + TimeSpan.FromSeconds(30);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }
    }

    private static SteerReply? TryTakeReply(string path)
    {
        try
        {
            var reply = JsonSerializer.Deserialize(File.ReadAllBytes(path), SteerLinkJsonContext.Default.SteerReply);
            File.Delete(path);
            return reply ?? new SteerReply { Error = "the shim's answer was empty" };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The shim's end of the steering folder: takes each request, hands it to the agent, writes the reply.</summary>
    internal sealed class MailboxListener(string mailbox, IAgentSteering steering, TimeProvider time) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task? _polling;

        public void Start()
        {
            Paths.PrivateFiles.CreateDirectory(mailbox);
            _polling = PollAsync(_stop.Token);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_polling is not null)
            {
                try
                {
                    await _polling;
                }
                catch (OperationCanceledException)
                {
                }
            }

            _stop.Dispose();
        }

        private async Task PollAsync(CancellationToken token)
        {
            while (!token.IsCancellationRequested)
            {
                string[] requests;
                try
                {
                    requests = [.. Directory.GetFiles(mailbox, "*.request.json").Order(StringComparer.Ordinal)];
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    requests = [];
                }

                foreach (var path in requests)
                {
                    byte[] line;
                    try
                    {
                        line = await File.ReadAllBytesAsync(path, token);
                        File.Delete(path);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // Withdrawn by the asker, or written by another user: not ours to take.
                        continue;
                    }

                    var reply = await HandleAsync(line, steering, time, token);
                    var replyPath = path[..^".request.json".Length] + ".reply.json";
                    await Paths.PrivateFiles.ReplaceAsync(replyPath, JsonSerializer.Serialize(reply, SteerLinkJsonContext.Default.SteerReply), token);
                }

                await Task.Delay(MailboxPoll, time, token);
            }
        }
    }

    private static async Task<SteerReply> HandleAsync(byte[] line, IAgentSteering steering, TimeProvider time, CancellationToken token)
    {
        SteerRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(line, SteerLinkJsonContext.Default.SteerRequest);
        }
        catch (JsonException)
        {
            return new SteerReply { Error = "not a steering request" };
        }

        try
        {
            if (request?.Interrupt == true && string.IsNullOrEmpty(request.Say))
            {
                await steering.InterruptAsync(token);
            }
            else if (!string.IsNullOrEmpty(request?.Say))
            {
                await steering.SayAsync(request.Say, request.Now, token);
            }
            else
            {
                return new SteerReply { Error = "nothing to say" };
            }

            return new SteerReply { Ok = true, HandedAt = time.GetUtcNow() };
        }
        catch (SteeringRefusedException e)
        {
            return new SteerReply { Error = e.Message };
        }
    }
}

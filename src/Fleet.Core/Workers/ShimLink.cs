using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Workers;

/// <summary>
/// One line of the shim link, JSON. A shim says which (worker, iteration) it has claimed (or why it refused an
/// assignment); the orchestrator hands a shim whose worker has ended the next launch spec.
/// </summary>
public sealed record ShimLinkMessage
{
    /// <summary>Shim to orchestrator: the worker this shim has claimed and runs, or was asked to run and refused.</summary>
    public string? Worker { get; init; }

    public int? Iteration { get; init; }

    /// <summary>Orchestrator to shim: the launch spec to run next.</summary>
    public string? Spec { get; init; }

    /// <summary>Orchestrator to shim: where the next worker's readable view goes (its <c>&lt;id&gt;.shim.log</c>).</summary>
    public string? Log { get; init; }

    /// <summary>Shim to orchestrator: the assignment was not run, and why (its claim or exit.json exists, an unreadable spec).</summary>
    public string? Refused { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ShimLinkMessage))]
internal sealed partial class ShimLinkJsonContext : JsonSerializerContext;

/// <summary>
/// A connection between a worker shim and the orchestrator that started it: a Unix stream socket in the abstract
/// namespace (no file to leave behind), newline-delimited JSON (<see cref="ShimLinkMessage"/>). Its whole point is
/// that a shim whose agent has ended is a warm process: instead of exiting, it can run the next worker at once,
/// which takes the .NET start-up of a new shim off the path from one worker's exit to its dependent's start.
/// <para>
/// The link never decides anything about a run: a shim still claims each (worker, iteration) exclusively and
/// records each outcome in exit.json. Either end going away is an ordinary end of file: a shim whose
/// orchestrator is gone finishes its agent and exits; an orchestrator whose shim is gone starts a new one.
/// </para>
/// </summary>
public sealed class ShimLink : IDisposable
{
    private readonly Socket _socket;
    private readonly LineReader _reader;

    internal ShimLink(Socket socket)
    {
        _socket = socket;
        _reader = new LineReader(socket);
    }

    /// <summary>The socket address for a link name (the name travels in the launch spec; the address is abstract).</summary>
    public static UnixDomainSocketEndPoint EndPointFor(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new UnixDomainSocketEndPoint("\0" + name);
    }

    /// <summary>Connects to the orchestrator's link; null when it is not there (it ended, or a later one runs the fleet).</summary>
    public static ShimLink? TryConnect(string name)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(EndPointFor(name));
            return new ShimLink(socket);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>Sends one message; false when the other end is gone (never throws: the link is an optimisation).</summary>
    public bool TrySend(ShimLinkMessage message) => TrySend(_socket, message);

    /// <summary>The next message, or null at the end of the link (the other end closed it or died).</summary>
    public async Task<ShimLinkMessage?> ReceiveAsync(CancellationToken cancellationToken) => await _reader.ReadAsync(cancellationToken);

    public void Dispose() => _socket.Dispose();

    internal static bool TrySend(Socket socket, ShimLinkMessage message)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(message, ShimLinkJsonContext.Default.ShimLinkMessage);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        try
        {
            // A few hundred bytes into an empty socket buffer: the send completes at once.
            socket.Send(line);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Reads newline-delimited messages from a socket; a malformed line is skipped, like a torn journal line.</summary>
    internal sealed class LineReader(Socket socket)
    {
        // Nothing legitimate sends this much without a newline: such a peer is not a shim link.
        private const int MaxLine = 1024 * 1024;

        private byte[] _buffer = new byte[4096];
        private int _start;
        private int _end;

        public async Task<ShimLinkMessage?> ReadAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    var line = _buffer.AsMemory(_start, newline);
                    _start += newline + 1;
                    try
                    {
                        if (JsonSerializer.Deserialize(line.Span, ShimLinkJsonContext.Default.ShimLinkMessage) is { } message)
                        {
                            return message;
                        }
                    }
                    catch (JsonException)
                    {
                    }

                    continue;
                }

                MakeRoom();
                if (_end == _buffer.Length)
                {
                    return null;
                }

                int read;
                try
                {
                    read = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return null;
                }

                if (read == 0)
                {
                    return null;
                }

                _end += read;
            }
        }

        private void MakeRoom()
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length && _buffer.Length < MaxLine)
            {
                Array.Resize(ref _buffer, Math.Min(MaxLine, _buffer.Length * 2));
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Fleet.Tests.Notifications;

/// <summary>A real HTTP endpoint on 127.0.0.1 (a bare TcpListener): keeps every POST body and answers 204, or 500 for the first <c>failFirst</c> requests.</summary>
internal sealed class WebhookListener : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _failuresLeft;

    public WebhookListener(int failFirst = 0)
    {
        _failuresLeft = failFirst;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url(string path) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{path}");

    /// <summary>The bodies of the requests answered 2xx, in order.</summary>
    public ConcurrentQueue<JsonDocument> Accepted { get; } = new();

    public int Refused => _refused;

    private int _refused;

    /// <summary>The event ids of the accepted bodies.</summary>
    public IReadOnlyList<string> Ids => [.. Accepted.Select(d => d.RootElement.GetProperty("event").GetProperty("id").GetString()!)];

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Task.Run(() => ServeAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new List<byte>();
            var chunk = new byte[8192];
            int headerEnd;
            while ((headerEnd = IndexOfHeaderEnd(buffer)) < 0)
            {
                var n = await stream.ReadAsync(chunk, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                buffer.AddRange(chunk.AsSpan(0, n));
            }

            var head = Encoding.ASCII.GetString([.. buffer.Take(headerEnd)]);
            var length = head.Split("\r\n").Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                .Select(l => int.Parse(l["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture)).FirstOrDefault();
            while (buffer.Count < headerEnd + 4 + length)
            {
                var n = await stream.ReadAsync(chunk, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                buffer.AddRange(chunk.AsSpan(0, n));
            }

            var fail = Interlocked.Decrement(ref _failuresLeft) >= 0;
            if (fail)
            {
                Interlocked.Increment(ref _refused);
            }
            else
            {
                Accepted.Enqueue(JsonDocument.Parse(Encoding.UTF8.GetString([.. buffer.Skip(headerEnd + 4).Take(length)])));
            }

            var status = fail ? "500 Internal Server Error" : "204 No Content";
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), _stop.Token);
        }
    }

    private static int IndexOfHeaderEnd(List<byte> buffer)
    {
        for (var i = 0; i + 3 < buffer.Count; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
        foreach (var document in Accepted)
        {
            document.Dispose();
        }
    }
}

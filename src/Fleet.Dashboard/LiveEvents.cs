using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using System.Threading.Channels;

namespace Fleet.Dashboard;

/// <summary>Something changed in a fleet root; pushed to every open page, which fetches itself again if it shows that root.</summary>
/// <param name="Seq">Increasing per server.</param>
/// <param name="Root">The fleet root; empty for the list of fleets itself (a fleet launched or killed).</param>
/// <param name="Kinds">What changed: journal, exit, gate, claim, stream, pause, registry.</param>
/// <param name="Workers">Workers whose stream, exit or gate files changed.</param>
/// <param name="At">When the first change of this event was seen (unix milliseconds).</param>
public sealed record LiveChange(long Seq, string Root, IReadOnlyList<string> Kinds, IReadOnlyList<string> Workers, long At);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LiveChange))]
internal sealed partial class LiveJsonContext : JsonSerializerContext;

/// <summary>
/// Fans the file watchers' changes out to the open pages (server-sent events). Changes of one root are gathered for a
/// short while into one event: a worker's stream grows line by line, and a page needs one fetch for a burst, not one per line.
/// </summary>
public sealed class LiveEvents(TimeProvider time, TimeSpan gather)
{
    private readonly ConcurrentDictionary<Channel<LiveChange>, byte> _subscribers = new();
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private long _seq;

    public int Subscribers => _subscribers.Count;

    public Subscription Subscribe()
    {
        // A page that cannot keep up loses old changes, never the newest: each one means "fetch yourself again".
        var channel = Channel.CreateBounded<LiveChange>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        _subscribers[channel] = 0;
        return new Subscription(this, channel);
    }

    /// <summary>Records a change; it is published after <c>gather</c> together with the others of its root.</summary>
    public void Changed(string root, string kind, string? worker)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var pending = _pending.GetOrAdd(root, _ => new Pending());
        bool first;
        lock (pending)
        {
            first = pending.Kinds.Count == 0;
            if (first)
            {
                pending.At = now;
            }

            pending.Kinds.Add(kind);
            if (worker is not null)
            {
                pending.Workers.Add(worker);
            }
        }

        if (first)
        {
            _ = PublishLaterAsync(root, pending);
        }
    }

    private async Task PublishLaterAsync(string root, Pending pending)
    {
        await Task.Delay(gather, time).ConfigureAwait(false);
        LiveChange change;
        lock (pending)
        {
            change = new LiveChange(Interlocked.Increment(ref _seq), root, [.. pending.Kinds.Order(StringComparer.Ordinal)], [.. pending.Workers.Order(StringComparer.Ordinal)], pending.At);
            pending.Kinds.Clear();
            pending.Workers.Clear();
        }

        foreach (var subscriber in _subscribers.Keys)
        {
            subscriber.Writer.TryWrite(change);
        }
    }

    private sealed class Pending
    {
        public HashSet<string> Kinds { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Workers { get; } = new(StringComparer.Ordinal);

        public long At { get; set; }
    }

    public sealed class Subscription(LiveEvents events, Channel<LiveChange> channel) : IDisposable
    {
        public ChannelReader<LiveChange> Reader => channel.Reader;

        public void Dispose()
        {
            events._subscribers.TryRemove(channel, out _);
            channel.Writer.TryComplete();
        }
    }
}

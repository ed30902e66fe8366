using System.Globalization;
using System.Threading.Channels;
using Fleet.Gates.Inbox;
using Fleet.State;

namespace Fleet.Notifications;

public sealed record NotifierOptions
{
    public required FleetLayout Layout { get; init; }

    public required string FleetName { get; init; }

    public required IReadOnlyList<INotifyChannel> Channels { get; init; }

    /// <summary>The dashboard's address now, or null (read on every look: the dashboard comes and goes).</summary>
    public Func<string?> Dashboard { get; init; } = static () => null;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public Action<string>? Log { get; init; }

    /// <summary>A safety net under the pokes: how often the records are looked at anyway.</summary>
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The first wait before a failed delivery is tried again; it doubles up to <see cref="MaxRetry"/>.</summary>
    public TimeSpan FirstRetry { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetry { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Delivers a run's events off the orchestrator's path: <see cref="Poke"/> only wakes a background task, which
/// derives the events from the records (<see cref="NotificationEvents.Derive"/>), leaves out what the ledger says was
/// delivered, and hands the rest to one queue per channel, so a slow or dead channel delays neither the orchestrator
/// nor another channel. A failed delivery is logged and tried again with backoff until it goes through or the
/// orchestrator stops; then it is logged and put in the ledger as undelivered, and the next orchestrator of the
/// root tries again.
/// </summary>
public sealed class Notifier : IAsyncDisposable
{
    private readonly NotifierOptions _options;
    private readonly DeliveryLedger _ledger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _scanning = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly HashSet<(string Id, string Channel)> _delivered;
    private readonly Dictionary<(string Id, string Channel), NotificationEvent> _queued = [];
    private readonly List<(INotifyChannel Channel, Channel<NotificationEvent> Queue)> _channels;
    private readonly List<Task> _tasks = [];
    private bool _stopped;

    private Notifier(NotifierOptions options)
    {
        _options = options;
        _ledger = DeliveryLedger.For(options.Layout);
        _delivered = _ledger.Delivered();
        _channels = [.. options.Channels.Select(c => (c, Channel.CreateUnbounded<NotificationEvent>(new UnboundedChannelOptions { SingleReader = true })))];
    }

    /// <summary>Starts the background look and one sender per channel; the first look happens at once.</summary>
    public static Notifier Start(NotifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var notifier = new Notifier(options);
        foreach (var (channel, queue) in notifier._channels)
        {
            notifier._tasks.Add(Task.Run(() => notifier.SendAsync(channel, queue.Reader)));
        }

        notifier._tasks.Add(Task.Run(notifier.LookAsync));
        return notifier;
    }

    /// <summary>Something may have happened (a journal entry, a gate file): look soon. Never blocks.</summary>
    public void Poke()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>
    /// Looks once more, gives the queues up to <paramref name="grace"/> to empty, then stops: whatever is still
    /// undelivered is logged and put in the ledger as such. Returns how many deliveries were left.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        await LookOnceAsync();
        var deadline = _options.Time.GetUtcNow() + grace;
        while (Pending() > 0 && _options.Time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _options.Time);
        }

        return await HaltAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await HaltAsync();
        _stop.Dispose();
        _wake.Dispose();
        _scanning.Dispose();
    }

    private async Task<int> HaltAsync()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return 0;
            }

            _stopped = true;
        }

        await _stop.CancelAsync();
        foreach (var (_, queue) in _channels)
        {
            queue.Writer.TryComplete();
        }

        await Task.WhenAll(_tasks);
        List<KeyValuePair<(string Id, string Channel), NotificationEvent>> left;
        lock (_gate)
        {
            left = [.. _queued];
        }

        foreach (var ((id, channel), notification) in left)
        {
            _options.Log?.Invoke($"notify: {channel}: {notification.Type} {id} undelivered as the orchestrator stops; the next orchestrator of this root (fleet resume) tries again");
            TryRecord(new LedgerLine(id, channel, LedgerStatus.Undelivered, _options.Time.GetUtcNow(), 0));
        }

        return left.Count;
    }

    private int Pending()
    {
        lock (_gate)
        {
            return _queued.Count;
        }
    }

    private async Task LookAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await LookOnceAsync();
                await _wake.WaitAsync(_options.Poll, _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task LookOnceAsync()
    {
        try
        {
            await _scanning.WaitAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            var context = new NotifyContext(_options.FleetName, _options.Layout.Root, _options.Dashboard());
            var events = NotificationEvents.Derive(context, Journal.Read(_options.Layout.JournalFile), GateInbox.List(_options.Layout));
            lock (_gate)
            {
                foreach (var notification in events)
                {
                    foreach (var (channel, queue) in _channels)
                    {
                        var key = (notification.Id, channel.Name);
                        if (!_delivered.Contains(key) && _queued.TryAdd(key, notification))
                        {
                            queue.Writer.TryWrite(notification);
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _options.Log?.Invoke($"notify: could not read the run's records: {e.Message}");
        }
        finally
        {
            _scanning.Release();
        }
    }

    private async Task SendAsync(INotifyChannel channel, ChannelReader<NotificationEvent> queue)
    {
        try
        {
            await foreach (var notification in queue.ReadAllAsync(_stop.Token))
            {
                await DeliverAsync(channel, notification);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task DeliverAsync(INotifyChannel channel, NotificationEvent notification)
    {
        var wait = _options.FirstRetry;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await channel.DeliverAsync(notification, _stop.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
            {
                _options.Log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"notify: {channel.Display}: {notification.Type} {notification.Id} attempt {attempt} failed: {e.Message}; trying again in {wait.TotalSeconds:0.#}s"));
                await Task.Delay(wait, _options.Time, _stop.Token);
                wait = wait * 2 < _options.MaxRetry ? wait * 2 : _options.MaxRetry;
                continue;
            }

            TryRecord(new LedgerLine(notification.Id, channel.Name, LedgerStatus.Delivered, _options.Time.GetUtcNow(), attempt));
            lock (_gate)
            {
                _delivered.Add((notification.Id, channel.Name));
                _queued.Remove((notification.Id, channel.Name));
            }

            _options.Log?.Invoke($"notify: {channel.Display}: delivered {notification.Type} {notification.Id}");
            return;
        }
    }

    private void TryRecord(LedgerLine line)
    {
        try
        {
            _ledger.Append(line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without its line the event is delivered again by a later orchestrator: a duplicate, never a loss.
            _options.Log?.Invoke($"notify: could not write the delivery ledger {_ledger.Path}: {e.Message}");
        }
    }
}

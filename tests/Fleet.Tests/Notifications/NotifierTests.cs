using System.Collections.Concurrent;
using System.Diagnostics;
using Fleet.Notifications;
using Fleet.State;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Notifications;

/// <summary>The notifier in-process over a real fleet root's journal and ledger, with channels that fail, hang or record.</summary>
public sealed class NotifierTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FleetLayout _layout;
    private readonly ConcurrentQueue<string> _log = new();

    public NotifierTests()
    {
        _layout = new FleetLayout(_dir.Path);
    }

    public void Dispose() => _dir.Dispose();

    private sealed class Recording(string name, Func<int, Task>? before = null) : INotifyChannel
    {
        private int _calls;

        public ConcurrentQueue<string> Delivered { get; } = new();

        public string Name => name;

        public string Display => name;

        public async Task DeliverAsync(NotificationEvent notification, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            if (before is not null)
            {
                await before(call).WaitAsync(cancellationToken);
            }

            Delivered.Enqueue(notification.Id);
        }
    }

    private Task<JournalEntry> AppendAsync(string type, string? worker = null, int? iteration = null, string? outcome = null, string? reason = null) =>
        new Journal(_layout.JournalFile, TimeProvider.System).AppendAsync(new JournalEntry { Type = type, Run = "r-1", Worker = worker, Iteration = iteration, Outcome = outcome, Reason = reason }, TestContext.Current.CancellationToken);

    private Notifier Start(params INotifyChannel[] channels) => Notifier.Start(new NotifierOptions
    {
        Layout = _layout,
        FleetName = "demo",
        Channels = channels,
        Log = _log.Enqueue,
        Poll = TimeSpan.FromMilliseconds(200),
        FirstRetry = TimeSpan.FromMilliseconds(50),
        MaxRetry = TimeSpan.FromMilliseconds(200),
    });

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + TestTimeouts.Default;
        while (!condition())
        {
            DateTimeOffset.UtcNow.ShouldBeLessThan(deadline, what);
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task A_channel_that_hangs_delays_neither_a_poke_nor_another_channel()
    {
        await AppendAsync(JournalTypes.RunStarted);
        var never = new TaskCompletionSource();
        var hung = new Recording("webhook", _ => never.Task);
        var command = new Recording("command");
        await using var notifier = Start(hung, command);

        await AppendAsync(JournalTypes.CostCapReached, reason: "spent");
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++)
        {
            notifier.Poke();
        }

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1), "a poke only wakes the background look");
        await EventuallyAsync(() => command.Delivered.Contains("r-1/cost_cap_reached/cap"), "the command channel delivers while the webhook hangs");
        hung.Delivered.ShouldBeEmpty();
        (await notifier.StopAsync(TimeSpan.FromMilliseconds(100)).DefaultTimeout()).ShouldBe(1);
    }

    [Fact]
    public async Task A_failed_delivery_is_logged_and_tried_again_until_it_goes_through_once()
    {
        await AppendAsync(JournalTypes.RunStarted);
        await AppendAsync(JournalTypes.RunEnded, outcome: "success", reason: "done");
        var flaky = new Recording("webhook", call => call <= 2 ? throw new NotifyDeliveryException($"HTTP 500 number {call}") : Task.CompletedTask);
        await using var notifier = Start(flaky);

        await EventuallyAsync(() => !flaky.Delivered.IsEmpty, "delivered after two failures");
        (await notifier.StopAsync(TimeSpan.FromSeconds(1)).DefaultTimeout()).ShouldBe(0);

        flaky.Delivered.ShouldBe(["r-1/run_ended/end"]);
        _log.Count(l => l.Contains("attempt", StringComparison.Ordinal) && l.Contains("failed: HTTP 500", StringComparison.Ordinal)).ShouldBe(2);
        var line = DeliveryLedger.For(_layout).Read().ShouldHaveSingleItem();
        (line.Id, line.Channel, line.Status, line.Attempts).ShouldBe(("r-1/run_ended/end", "webhook", LedgerStatus.Delivered, 3));
    }

    [Fact]
    public async Task A_restarted_notifier_delivers_only_what_the_ledger_does_not_hold_including_what_the_last_one_left_undelivered()
    {
        await AppendAsync(JournalTypes.RunStarted);
        await AppendAsync(JournalTypes.WorkerLimited, "w", 1, "limited", "rate limit");
        await AppendAsync(JournalTypes.WorkerEnded, "x", 1, "failed", "lost: never started");
        var down = true;
        var first = new Recording("webhook");
        var firstCommand = new Recording("command", _ => down ? throw new NotifyDeliveryException("exit 1") : Task.CompletedTask);
        await using (var notifier = Start(first, firstCommand))
        {
            await EventuallyAsync(() => first.Delivered.Count == 2, "both events delivered by the webhook");
            (await notifier.StopAsync(TimeSpan.FromMilliseconds(200)).DefaultTimeout()).ShouldBe(2);
        }

        _log.ShouldContain(l => l.Contains("undelivered as the orchestrator stops", StringComparison.Ordinal));
        down = false;
        await AppendAsync(JournalTypes.RunEnded, outcome: "failed", reason: "x was lost");
        var second = new Recording("webhook");
        var secondCommand = new Recording("command");
        await using (var notifier = Start(second, secondCommand))
        {
            await EventuallyAsync(() => secondCommand.Delivered.Count == 3 && second.Delivered.Count == 1, "the rest delivered");
            await notifier.StopAsync(TimeSpan.FromSeconds(1)).DefaultTimeout();
        }

        second.Delivered.ShouldBe(["r-1/run_ended/end"]);
        secondCommand.Delivered.ShouldBe(["r-1/worker_limited/w/1/1", "r-1/worker_lost/x/1", "r-1/run_ended/end"], ignoreOrder: true);
        DeliveryLedger.For(_layout).Delivered().Count.ShouldBe(6);
    }
}

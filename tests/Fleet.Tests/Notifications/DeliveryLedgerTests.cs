using Fleet.Notifications;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Notifications;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DeliveryLedgerTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_delivery_is_on_record_per_event_and_channel_in_a_private_file()
    {
        var ledger = new DeliveryLedger(_dir.Combine(".fleet", "notifications.jsonl"));
        ledger.Append(new LedgerLine("r/gate_opened/g", "webhook", LedgerStatus.Delivered, DateTimeOffset.UnixEpoch, 1));
        ledger.Append(new LedgerLine("r/gate_opened/g", "command", LedgerStatus.Undelivered, DateTimeOffset.UnixEpoch, 0));

        ledger.Delivered().ShouldBe([("r/gate_opened/g", "webhook")]);
        FileModes.Walk(ledger.Path).ShouldHaveSingleItem().Mode.ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public void A_line_cut_short_by_a_crash_is_skipped_and_the_next_one_starts_on_its_own_line()
    {
        var path = _dir.Write(".fleet/notifications.jsonl", "{\"id\":\"r/run_ended/end\",\"channel\":\"webhook\",\"status\":\"delivered\",\"at\":\"2026-01-01T00:00:00Z\",\"attempts\":1}\n{\"id\":\"r/cost_cap_rea");
        var ledger = new DeliveryLedger(path);

        ledger.Append(new LedgerLine("r/cost_cap_reached/cap", "webhook", LedgerStatus.Delivered, DateTimeOffset.UnixEpoch, 2));

        ledger.Delivered().ShouldBe([("r/run_ended/end", "webhook"), ("r/cost_cap_reached/cap", "webhook")], ignoreOrder: true);
        File.ReadAllLines(path).Length.ShouldBe(3);
    }
}

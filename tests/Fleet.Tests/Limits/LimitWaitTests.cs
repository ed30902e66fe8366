using Fleet.Limits;

namespace Fleet.Tests.Limits;

public class LimitWaitTests
{
    private static readonly DateTimeOffset Ended = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);
    private static readonly LimitPolicy Policy = new(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30), TimeSpan.FromDays(8), 6);

    public static TheoryData<LimitKind, int?, int, int?> Cases => new()
    {
        // kind, reset in minutes (null: none named), limits before, expected wait in minutes (null: not continued)
        { LimitKind.UsageLimit, 90, 0, 90 },
        { LimitKind.UsageLimit, 60 * 24 * 7, 0, 60 * 24 * 7 },
        { LimitKind.UsageLimit, 60 * 24 * 9, 0, null },
        { LimitKind.UsageLimit, -5, 0, 0 },
        { LimitKind.UsageLimit, null, 0, 1 },
        { LimitKind.RateLimit, null, 0, 1 },
        { LimitKind.RateLimit, null, 1, 2 },
        { LimitKind.RateLimit, null, 3, 8 },
        { LimitKind.Overloaded, null, 5, 30 },
        { LimitKind.RateLimit, null, 6, null },
        { LimitKind.UsageLimit, 90, 6, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_limit_waits_for_its_reset_or_backs_off_exponentially_within_bounds(LimitKind kind, int? resetInMinutes, int limitsBefore, int? expectedMinutes)
    {
        var hit = new LimitHit(kind, resetInMinutes is { } m ? Ended.AddMinutes(m) : null, "limit");

        var decision = LimitWait.Decide(hit, Ended, limitsBefore, Policy);

        if (expectedMinutes is { } minutes)
        {
            decision.Until.ShouldBe(Ended.AddMinutes(minutes));
        }
        else
        {
            decision.Until.ShouldBeNull();
            decision.Reason.ShouldNotBeNullOrWhiteSpace();
        }
    }
}

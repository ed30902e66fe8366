using Fleet.Limits;

namespace Fleet.Tests.Limits;

public class LimitClassifierTests
{
    private static readonly DateTimeOffset Ended = new(2026, 12, 7, 10, 15, 0, TimeSpan.Zero);

    public static TheoryData<int?, string?, string?, LimitKind?> Cases => new()
    {
        // claude: an API-key 429 after its own retries; the synthetic message's class names it too.
        { 429, "rate_limit", "API Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed the rate limit\"}}", LimitKind.RateLimit },
        { null, "rate_limit", "API Error: Request rejected", LimitKind.RateLimit },
        // claude: 529 overloaded (the shape of its stub capture), and the class alone.
        { 529, "server_error", "API Error: 529 stub: overloaded. This is a server-side issue, usually temporary — try again in a moment.", LimitKind.Overloaded },
        { null, "overloaded", "API Error: Repeated server overload", LimitKind.Overloaded },
        // claude: plan usage limits, older and newer wording.
        { 429, "rate_limit", "Claude AI usage limit reached|1765108800", LimitKind.UsageLimit },
        { 429, "rate_limit", "You've hit your session limit · resets 3pm", LimitKind.UsageLimit },
        { null, null, "5-hour limit reached ∙ resets 3pm", LimitKind.UsageLimit },
        { 429, null, "You've hit your weekly limit · resets Dec 9, 5am", LimitKind.UsageLimit },
        // codex: a usage limit, a 429 after its own retries, and a retry limit message.
        { null, null, "You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), or try again at 8:05 PM.", LimitKind.UsageLimit },
        { null, null, "exceeded retry limit, last status: 429 Too Many Requests, request id: req_1", LimitKind.RateLimit },
        { null, null, "unexpected status 503 Service Unavailable: The server is overloaded. Please try again later., url: http://127.0.0.1:1/v1/responses", LimitKind.Overloaded },
        // claude 2.1.197 with an API key, answering a 429 whose unified-limit headers say rejected (the rehearsal's usage_limit).
        { 429, "rate_limit", "API Error: Request rejected (429) · This request would exceed your account's rate limit. Please try again later.", LimitKind.RateLimit },
        { null, null, "Rate limit reached for requests. Please try again later.", LimitKind.RateLimit },
        // not limits: other API errors, other failures.
        { 400, "unknown", "API Error: 400 stub: prompt rejected", null },
        { 500, "server_error", "API Error: 500 Internal server error", null },
        { null, null, "max budget: Reached maximum budget ($0.0001)", null },
        { null, null, "We're currently experiencing high demand, which may cause temporary errors.", null },
        { null, null, null, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_run_is_limited_only_when_its_error_is_a_usage_or_rate_limit(int? status, string? kind, string? text, LimitKind? expected)
    {
        var hit = LimitClassifier.Classify(status, kind, text, Ended, TimeZoneInfo.Utc);
        (hit?.Kind).ShouldBe(expected);
    }

    public static TheoryData<string, string?> Resets => new()
    {
        { "Claude AI usage limit reached|1765108800", "2025-12-07T12:00:00+00:00" },
        { "You've hit your session limit · resets 3pm", "2026-12-07T15:01:00+00:00" },
        { "You've hit your session limit · resets 3:30pm", "2026-12-07T15:31:00+00:00" },
        // A time of day already past today is tomorrow's.
        { "You've hit your session limit · resets 9am", "2026-12-08T09:01:00+00:00" },
        { "You've hit your session limit · resets 3pm (America/New_York)", "2026-12-07T20:01:00+00:00" },
        { "You've hit your weekly limit · resets Dec 9, 5am", "2026-12-09T05:01:00+00:00" },
        { "You've hit your usage limit. Upgrade to Pro, or try again at 8:05 PM.", "2026-12-07T20:06:00+00:00" },
        // codex 0.169 as it answered the rehearsal's usage_limit (curly apostrophe), a reset within the minute the run ended.
        { "You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at 10:15 AM.", "2026-12-07T10:16:00+00:00" },
        { "You've hit your usage limit. Upgrade to Pro, or try again at Dec 8th, 2026 8:05 PM.", "2026-12-08T20:06:00+00:00" },
        { "You've hit your session limit", null },
        { "You've hit your session limit · resets soon", null },
    };

    [Theory]
    [MemberData(nameof(Resets))]
    public void The_reset_time_is_read_from_the_message_in_each_wording_the_clis_use(string message, string? expected)
    {
        var reset = LimitClassifier.ResetOf(message, Ended, TimeZoneInfo.Utc);
        (reset?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)).ShouldBe(expected);
    }

    [Fact]
    public void A_time_of_day_without_a_zone_is_read_in_the_given_local_zone()
    {
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        LimitClassifier.ResetOf("You've hit your session limit · resets 3pm", Ended, paris).ShouldBe(new DateTimeOffset(2026, 12, 7, 14, 1, 0, TimeSpan.Zero));
    }

    [Fact]
    public void A_run_that_did_not_fail_is_never_limited_whatever_its_text()
    {
        var summary = new Fleet.Streams.AgentStreamSummary("s", 0m, 1, "success", false, "You've hit your session limit · resets 3pm", 0);
        LimitClassifier.Classify(summary, Ended, TimeZoneInfo.Utc).ShouldBeNull();
    }
}

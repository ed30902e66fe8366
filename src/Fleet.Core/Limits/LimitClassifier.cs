using System.Globalization;
using System.Text.RegularExpressions;
using Fleet.Streams;

namespace Fleet.Limits;

/// <summary>Which limit ended a run.</summary>
public enum LimitKind
{
    /// <summary>A plan's usage limit (claude's "You've hit your session limit · resets 3pm", codex's "You've hit your usage limit … try again at …"): it lasts until its reset.</summary>
    UsageLimit,

    /// <summary>HTTP 429 without a plan limit: transient, gone after a backoff.</summary>
    RateLimit,

    /// <summary>The API is overloaded (HTTP 529, claude's <c>overloaded</c>): transient.</summary>
    Overloaded,
}

/// <summary>A run that ended on a limit, and when the limit resets when the CLI said so.</summary>
public sealed record LimitHit(LimitKind Kind, DateTimeOffset? ResetsAt, string Text)
{
    /// <summary>The limit in words: <c>usage limit</c>, <c>rate limit</c>, <c>API overload</c>.</summary>
    public string Name => Kind switch
    {
        LimitKind.UsageLimit => "usage limit",
        LimitKind.RateLimit => "rate limit",
        _ => "API overload",
    };
}

/// <summary>
/// Tells from an ended run's stream whether a usage or rate limit ended it. Claude reports an API failure as an
/// error result (<c>is_error</c>, <c>api_error_status</c>) whose text is the message it shows a person, after a
/// synthetic assistant message whose <c>error</c> names the class (<c>rate_limit</c>, <c>overloaded</c>); codex as
/// <c>error</c> / <c>turn.failed</c> events carrying its message. A pure function of those facts.
/// </summary>
public static partial class LimitClassifier
{
    /// <summary>The limit that ended the run, or null when it ended otherwise (succeeded, or failed for another reason).</summary>
    /// <param name="summary">The stream's summary.</param>
    /// <param name="endedAt">When the run ended: a reset given as a time of day is the next one after it.</param>
    /// <param name="zone">The zone a reset time of day is in when the message does not name one (the CLI's, i.e. this machine's).</param>
    public static LimitHit? Classify(AgentStreamSummary summary, DateTimeOffset endedAt, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return summary.IsError ? Classify(summary.ApiErrorStatus, summary.ApiErrorKind, summary.ErrorText, endedAt, zone) : null;
    }

    /// <summary>The same decision from the raw facts: the HTTP status, claude's error class and the error text.</summary>
    public static LimitHit? Classify(int? status, string? kind, string? text, DateTimeOffset endedAt, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var message = text ?? string.Empty;
        if (UsageLimitText().IsMatch(message))
        {
            return new LimitHit(LimitKind.UsageLimit, ResetOf(message, endedAt, zone), message);
        }

        if (status == 429 || kind == "rate_limit" || RateLimitText().IsMatch(message))
        {
            return new LimitHit(LimitKind.RateLimit, null, message);
        }

        if (status == 529 || kind == "overloaded" || OverloadedText().IsMatch(message))
        {
            return new LimitHit(LimitKind.Overloaded, null, message);
        }

        return null;
    }

    /// <summary>
    /// The reset a limit message names: claude's older <c>Claude AI usage limit reached|&lt;epoch seconds&gt;</c>, its
    /// <c>resets 3pm</c> / <c>resets 3:30pm (Europe/Paris)</c> / <c>resets Dec 8, 3pm</c>, or codex's
    /// <c>try again at 8:05 PM</c> / <c>try again at Dec 8th, 2026 8:05 PM</c>. Null when there is none or it does not parse.
    /// </summary>
    public static DateTimeOffset? ResetOf(string message, DateTimeOffset endedAt, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(zone);
        if (EpochSuffix().Match(message) is { Success: true } epoch && long.TryParse(epoch.Groups["s"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        if (ResetPhrase().Match(message) is not { Success: true } phrase)
        {
            return null;
        }

        if (phrase.Groups["zone"].Success)
        {
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(phrase.Groups["zone"].Value);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                return null;
            }
        }

        var when = OrdinalSuffix().Replace(phrase.Groups["when"].Value.Trim().TrimEnd('.', ','), "$1");
        when = Regex.Replace(when, @"\s+", " ").Replace(" ,", ",", StringComparison.Ordinal);
        var local = TimeZoneInfo.ConvertTime(endedAt, zone);
        foreach (var format in TimeOfDayFormats)
        {
            if (DateTime.TryParseExact(when, format, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var time))
            {
                // A time of day is the next such time after the run ended.
                var candidate = At(local.Date + time.TimeOfDay, zone) + Precision;
                return candidate <= endedAt ? At(local.Date.AddDays(1) + time.TimeOfDay, zone) + Precision : candidate;
            }
        }

        foreach (var format in DateFormats)
        {
            if (DateTime.TryParseExact(when, format, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var date))
            {
                // Without a year: this year's date, or next year's when that is already past.
                var withYear = format.Contains('y', StringComparison.Ordinal) ? date : new DateTime(local.Year, date.Month, date.Day, date.Hour, date.Minute, 0, DateTimeKind.Unspecified);
                var candidate = At(withYear, zone) + Precision;
                return candidate < endedAt.AddDays(-1) && !format.Contains('y', StringComparison.Ordinal) ? At(withYear.AddYears(1), zone) + Precision : candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// The messages name the reset to the minute (codex's "try again at 5:26 AM" for a reset at 5:26:40): the end of
    /// that minute is the first time the limit is surely gone.
    /// </summary>
    private static readonly TimeSpan Precision = TimeSpan.FromMinutes(1);

    private static readonly string[] TimeOfDayFormats = ["htt", "h tt", "h:mmtt", "h:mm tt", "H:mm"];

    private static readonly string[] DateFormats =
    [
        "MMM d, htt", "MMM d, h tt", "MMM d, h:mmtt", "MMM d, h:mm tt", "MMM d htt", "MMM d h:mm tt",
        "MMM d, yyyy h:mm tt", "MMM d, yyyy htt", "MMM d, yyyy h tt", "MMM d yyyy h:mm tt",
    ];

    private static DateTimeOffset At(DateTime local, TimeZoneInfo zone) =>
        new(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), zone.GetUtcOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified)));

    [GeneratedRegex(@"usage limit reached|hit your (?:[\w' ]+ )?limit|reached your (?:[\w' ]+ )?limit|limit reached\s*[∙·•|]|out of (?:extra )?usage", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UsageLimitText();

    [GeneratedRegex(@"\b429\b|rate[ _]limit|too many requests", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RateLimitText();

    [GeneratedRegex(@"\b529\b|overloaded", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OverloadedText();

    [GeneratedRegex(@"\|\s*(?<s>\d{9,11})\s*$")]
    private static partial Regex EpochSuffix();

    [GeneratedRegex(@"(?:resets(?:\s+at)?|try again at)\s+(?<when>[A-Za-z]{3,9}\.? \d{1,2}(?:st|nd|rd|th)?,?(?: \d{4})?,? \d{1,2}(?::\d{2})?\s*[AaPp][Mm]|\d{1,2}(?::\d{2})?\s*[AaPp][Mm]|\d{1,2}:\d{2})(?:\s*\((?<zone>[A-Za-z_]+(?:/[A-Za-z_+\-0-9]+)*)\))?", RegexOptions.CultureInvariant)]
    private static partial Regex ResetPhrase();

    [GeneratedRegex(@"(\d)(?:st|nd|rd|th)\b")]
    private static partial Regex OrdinalSuffix();
}

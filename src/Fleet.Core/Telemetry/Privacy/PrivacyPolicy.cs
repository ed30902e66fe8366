using System.Text.RegularExpressions;

namespace Fleet.Telemetry.Privacy;

/// <summary>How much of the person's and the agent's text the flight recorder keeps.</summary>
public enum PrivacyLevel
{
    /// <summary>Default: names, counts, timings. No prompt, answer or tool-input text.</summary>
    Metadata,

    /// <summary>Text kept, with secrets, e-mail addresses and home-directory user names masked, cut to 2,000 characters.</summary>
    Redacted,

    /// <summary>Text kept whole; secrets are still masked.</summary>
    Full,
}

/// <summary>
/// Applies a <see cref="PrivacyLevel"/> to text before it is stored. The secret masker runs at every level,
/// on every string the store writes (see <c>TelemetryStore</c>), not only on the text fields here.
/// </summary>
public sealed partial class PrivacyPolicy(PrivacyLevel level)
{
    public const int RedactedMaxLength = 2000;

    public static PrivacyPolicy Default { get; } = new(PrivacyLevel.Metadata);

    public PrivacyLevel Level { get; } = level;

    /// <summary>True when this level keeps prompt, answer and tool-input text (so readers need not build it otherwise).</summary>
    public bool KeepsText => Level != PrivacyLevel.Metadata;

    /// <summary>Parses <c>metadata|redacted|full</c>; null when the name is unknown.</summary>
    public static PrivacyLevel? Parse(string? name) => name?.ToLowerInvariant() switch
    {
        "metadata" => PrivacyLevel.Metadata,
        "redacted" => PrivacyLevel.Redacted,
        "full" => PrivacyLevel.Full,
        _ => null,
    };

    /// <summary>Prompt, answer or tool-input text as this level keeps it: null at <see cref="PrivacyLevel.Metadata"/>.</summary>
    public string? Text(string? text)
    {
        if (text is null || Level == PrivacyLevel.Metadata)
            return null;
        var masked = SecretMasker.Mask(text);
        if (Level == PrivacyLevel.Full)
            return masked;
        masked = Email().Replace(masked, "[REDACTED:email]");
        masked = HomeUser().Replace(masked, "${home}[user]");
        return masked.Length <= RedactedMaxLength ? masked : string.Concat(masked.AsSpan(0, RedactedMaxLength), "…");
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    [GeneratedRegex(@"(?<home>/(?:home|Users)/)[^/\s""']+", RegexOptions.CultureInvariant)]
    private static partial Regex HomeUser();
}

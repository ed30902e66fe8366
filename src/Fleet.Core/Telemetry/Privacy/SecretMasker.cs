using System.Buffers;
using System.Text.RegularExpressions;

namespace Fleet.Telemetry.Privacy;

/// <summary>
/// Masks credentials in text before anything is stored, at every privacy level: Anthropic and OpenAI API
/// keys, GitHub tokens, AWS access keys and secret keys, JWTs, PEM private-key blocks, passwords in URLs
/// and <c>Authorization</c> / API-key headers. Each match becomes <c>[REDACTED:kind]</c>.
/// <para>
/// Cheap on the common path: a string is scanned for a few trigger substrings first, and the regexes run
/// only when one is present.
/// </para>
/// </summary>
public static partial class SecretMasker
{
    private static readonly SearchValues<string> Triggers = SearchValues.Create(
        ["sk-", "gh", "github_pat_", "AKIA", "ASIA", "eyJ", "-----BEGIN", "://", "uthorization", "UTHORIZATION", "api-key", "api_key", "API_KEY", "secret", "SECRET", "bearer", "Bearer"],
        StringComparison.Ordinal);

    /// <summary>True when <paramref name="text"/> may hold a secret (a trigger substring is present).</summary>
    public static bool MayContainSecret(ReadOnlySpan<char> text) => text.IndexOfAny(Triggers) >= 0;

    /// <summary>The text with every recognised secret replaced; the same instance when nothing matched.</summary>
    public static string Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!MayContainSecret(text))
            return text;

        var masked = PrivateKeyBlock().Replace(text, "[REDACTED:private_key]");
        masked = AnthropicKey().Replace(masked, "[REDACTED:anthropic_key]");
        masked = OpenAIKey().Replace(masked, "[REDACTED:openai_key]");
        masked = GitHubToken().Replace(masked, "[REDACTED:github_token]");
        masked = AwsAccessKey().Replace(masked, "[REDACTED:aws_access_key]");
        masked = AwsSecretKey().Replace(masked, "${name}[REDACTED:aws_secret_key]");
        masked = Jwt().Replace(masked, "[REDACTED:jwt]");
        masked = UrlPassword().Replace(masked, "${scheme}${user}:[REDACTED:password]@");
        masked = AuthorizationHeader().Replace(masked, "${name}[REDACTED:authorization]");
        masked = ApiKeyHeader().Replace(masked, "${name}[REDACTED:api_key]");
        return masked;
    }

    /// <summary><see cref="Mask"/> for optional text.</summary>
    public static string? MaskOrNull(string? text) => text is null ? null : Mask(text);

    // A block cut short (no END line) is masked to the end of the text.
    [GeneratedRegex(@"-----BEGIN[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----(?:.*?-----END[A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|.*\z)", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKeyBlock();

    [GeneratedRegex(@"sk-ant-[A-Za-z0-9_\-]{16,}", RegexOptions.CultureInvariant)]
    private static partial Regex AnthropicKey();

    [GeneratedRegex(@"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}", RegexOptions.CultureInvariant)]
    private static partial Regex OpenAIKey();

    [GeneratedRegex(@"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})", RegexOptions.CultureInvariant)]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b", RegexOptions.CultureInvariant)]
    private static partial Regex AwsAccessKey();

    [GeneratedRegex(@"(?<name>(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)[""'\s]*[:=]\s*[""']?)[A-Za-z0-9/+=]{30,}", RegexOptions.CultureInvariant)]
    private static partial Regex AwsSecretKey();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}", RegexOptions.CultureInvariant)]
    private static partial Regex Jwt();

    [GeneratedRegex(@"(?<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?<user>[^\s:/@""'<>]+):[^\s@/""'<>]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"(?<name>(?i:(?:proxy-)?authorization)[""']?\s*[:=]\s*[""']?(?i:(?:bearer|basic|token|digest)\s+)?)[^\s""',;]{4,}", RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationHeader();

    [GeneratedRegex(@"(?<name>(?i:x-api-key|api[_-]?key|anthropic_api_key|openai_api_key)[""']?\s*[:=]\s*[""']?)[^\s""',;]{8,}", RegexOptions.CultureInvariant)]
    private static partial Regex ApiKeyHeader();
}

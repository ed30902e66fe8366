using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace Fleet.Telemetry.Privacy;

/// <summary>
/// Masks credentials in text before anything is stored, at every privacy level: private-key blocks, API keys and
/// tokens with a known prefix (Anthropic, OpenAI, GitHub, GitLab, Slack, Google, AWS, Stripe, npm, PyPI, Hugging Face,
/// SendGrid, Twilio), JWTs, chat webhooks, passwords in URLs (any scheme, empty user too), <c>Authorization</c> and
/// bearer values, and the value of anything named like a secret (<c>password=</c>, <c>"client_secret": "…"</c>,
/// <c>export AWS_SECRET_ACCESS_KEY=…</c>, <c>AccountKey=</c>). Each match becomes <c>[REDACTED:kind]</c>.
/// A secret with no recognisable shape or name (a bare random string) cannot be told from other text and is kept.
/// <para>
/// Cheap on the common path: a string is scanned for trigger substrings first (two vectorized searches), and the
/// regexes run only when one is present.
/// </para>
/// </summary>
public static partial class SecretMasker
{
    // Prefixes and markers of shaped secrets: case matters, which keeps them rare in ordinary text.
    private static readonly SearchValues<string> ShapeTriggers = SearchValues.Create(
        ["sk-", "sk_", "rk_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox", "xapp-", "AIza", "AKIA", "ASIA",
         "npm_", "pypi-", "hf_", "SG.", "SK", "eyJ", "-----BEGIN", "://", "hooks.slack.com", "/api/webhooks/"],
        StringComparison.Ordinal);

    // Names that announce a secret, in any case.
    private static readonly SearchValues<string> NameTriggers = SearchValues.Create(
        ["pass", "pwd", "secret", "token", "key", "authorization", "bearer", "credential", "auth"],
        StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="text"/> may hold a secret (a trigger substring is present).</summary>
    public static bool MayContainSecret(ReadOnlySpan<char> text) => text.IndexOfAny(ShapeTriggers) >= 0 || text.IndexOfAny(NameTriggers) >= 0;

    /// <summary>The text with every recognised secret replaced; the same instance when nothing matched.</summary>
    public static string Mask(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!MayContainSecret(text))
            return text;

        // Shaped secrets first, so a named value that is one (token=ghp_…) says what it is.
        var masked = PrivateKeyBlock().Replace(text, "[REDACTED:private_key]");
        masked = AnthropicKey().Replace(masked, "[REDACTED:anthropic_key]");
        masked = OpenAIKey().Replace(masked, "[REDACTED:openai_key]");
        masked = GitHubToken().Replace(masked, "[REDACTED:github_token]");
        masked = AwsAccessKey().Replace(masked, "[REDACTED:aws_access_key]");
        masked = AwsSecretKey().Replace(masked, "${name}[REDACTED:aws_secret_key]");
        masked = PrefixedToken().Replace(masked, "[REDACTED:token]");
        masked = Webhook().Replace(masked, "${host}[REDACTED:webhook]");
        masked = Jwt().Replace(masked, "[REDACTED:jwt]");
        masked = UrlPassword().Replace(masked, "${scheme}${user}:[REDACTED:password]@");
        masked = AuthorizationHeader().Replace(masked, "${name}[REDACTED:authorization]");
        masked = BearerValue().Replace(masked, "${name}[REDACTED:authorization]");
        masked = MaskNamedSecrets(masked);
        return masked;
    }

    /// <summary><see cref="Mask"/> for optional text.</summary>
    public static string? MaskOrNull(string? text) => text is null ? null : Mask(text);

    private static string MaskNamedSecrets(string text)
    {
        StringBuilder? builder = null;
        var copied = 0;
        for (var match = NamedSecret().Match(text); match.Success; match = match.NextMatch())
        {
            if (NamedSecretReplacement(text, match) is not { } replacement)
                continue;
            builder ??= new StringBuilder(text.Length);
            builder.Append(text, copied, match.Index - copied).Append(replacement);
            copied = match.Index + match.Length;
        }

        return builder is null ? text : builder.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>The masked form of a named secret; null when the match is not one.</summary>
    private static string? NamedSecretReplacement(string text, Match match)
    {
        // The name begins a word or a word part: after a non-alphanumeric (DB_PASSWORD, x-api-key) or a camelCase hump (sessionToken).
        // In JSON-escaped text an escape (\n, \t, \u0022) before the name ends in a letter or digit but is a boundary too.
        var before = match.Index > 0 ? text[match.Index - 1] : ' ';
        var preceding = text.AsSpan(0, match.Index);
        var afterEscape = (preceding.Length >= 2 && preceding[^2] == '\\') || (preceding.Length >= 6 && preceding[^6] == '\\' && preceding[^5] == 'u');
        if (char.IsAsciiLetterOrDigit(before) && !afterEscape && !(char.IsAsciiLetterUpper(text[match.Index]) && (char.IsAsciiLetterLower(before) || char.IsAsciiDigit(before))))
            return null;

        // Already masked by a shaped rule, or a placeholder that names a variable rather than holding a value.
        var value = match.Groups["value"].Value;
        if (value.StartsWith("[REDACTED:", StringComparison.Ordinal) || value.StartsWith('$') || value.StartsWith('<'))
            return null;

        var quote = match.Groups["quote"].Value;
        if (quote.Length == 0 && IsCode(text, match, value))
            return null;

        var name = match.Groups["keyword"].Value;
        var kind = name.StartsWith("pass", StringComparison.OrdinalIgnoreCase) || name.Equals("pwd", StringComparison.OrdinalIgnoreCase) ? "password" : "secret";
        return string.Concat(name, match.Groups["separator"].Value, quote, "[REDACTED:" + kind + "]", quote);
    }

    /// <summary>A bare value that is code rather than a credential: a call (<c>token = fetch(…)</c>) or a literal (<c>token: nil</c>).</summary>
    private static bool IsCode(string text, Match match, string value)
    {
        var end = match.Index + match.Length;
        return (end < text.Length && text[end] == '(') || CodeLiterals.Contains(value);
    }

    private static readonly HashSet<string> CodeLiterals = new(["nil", "null", "None", "none", "true", "false", "True", "False", "undefined", "NULL"], StringComparer.Ordinal);

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

    // GitLab, Slack, Google, Stripe, npm, PyPI, Hugging Face, SendGrid, Twilio API keys.
    [GeneratedRegex(@"\b(?:gl(?:pat|dt|ptt|rt)-[A-Za-z0-9_\-]{20,}|xox[abposr]-[A-Za-z0-9\-]{10,}|xapp-[A-Za-z0-9\-]{10,}|AIza[0-9A-Za-z_\-]{35}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|npm_[A-Za-z0-9]{36}|pypi-[A-Za-z0-9_\-]{50,}|hf_[A-Za-z0-9]{30,}|SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}|SK[0-9a-f]{32})(?![A-Za-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex PrefixedToken();

    [GeneratedRegex(@"(?<host>hooks\.slack\.com/(?:services|workflows|triggers)/|discord(?:app)?\.com/api/webhooks/)[A-Za-z0-9/_\-]+", RegexOptions.CultureInvariant)]
    private static partial Regex Webhook();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}", RegexOptions.CultureInvariant)]
    private static partial Regex Jwt();

    // The password may hold '@' (the last one before the host ends it); the user may be empty (redis://:pw@host).
    [GeneratedRegex(@"(?<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?<user>[^\s:/@""'<>]*):[^\s/""'<>]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"(?<name>(?i:(?:proxy-)?authorization)\\?[""']?\s*[:=]\s*\\?[""']?(?i:(?:bearer|basic|token|digest)\s+)?)[^\s""'\\,;]{4,}", RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationHeader();

    [GeneratedRegex(@"(?<name>\b(?i:bearer)\s+)[A-Za-z0-9._~+/\-]{16,}=*", RegexOptions.CultureInvariant)]
    private static partial Regex BearerValue();

    // A secret's name (DB_PASSWORD, client_secret, apiKey, x-api-key) that ends there (input_tokens, passwordHash and
    // secretary are not secrets), an optional closing quote, ':' or '=', then a quoted or bare value. The name's start
    // is checked by NamedSecretReplacement: a leading lookbehind here would cost the regex its fast search for the names.
    [GeneratedRegex(
        @"(?<keyword>(?i:pass(?:word|wd|phrase)|pwd|secret(?:_?access)?(?:_?key)?|(?:api|access|account|sharedaccess|private|secret|signing|encryption|master)[_\-]?key|(?:(?:access|auth|refresh|id|session|bearer|api|bot|oauth)[_\-]?)?token))(?![A-Za-z0-9])(?<separator>(?:\\?[""']|\\u0022|\\u0027)?\s*[:=]\s*)(?<quote>\\?[""']|\\u0022|\\u0027)?(?<value>(?(quote)[^""'\\\r\n]{3,}|[^\s""'\\,;&<>(){}\[\]]{3,}))(?(quote)\k<quote>)",
        RegexOptions.CultureInvariant)]
    private static partial Regex NamedSecret();
}

using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Fleet.Telemetry.Privacy;

namespace Fleet.Dashboard;

/// <summary>Markup that is written as it is (it was built from escaped parts).</summary>
public readonly record struct RawHtml(string Value)
{
    public override string ToString() => Value;
}

/// <summary>
/// A page under construction. Every value interpolated into <see cref="Add"/> is masked (<see cref="SecretMasker"/>) and
/// HTML-encoded, so nothing the masker hides and no markup from a fleet's files can reach the page; only
/// <see cref="RawHtml"/> goes in as it is.
/// </summary>
public sealed class Html
{
    private readonly StringBuilder _builder = new();

    internal StringBuilder Builder => _builder;

    public Html Add([InterpolatedStringHandlerArgument("")] ref HtmlInterpolation html)
    {
        _ = html;
        return this;
    }

    public Html Raw(RawHtml html)
    {
        _builder.Append(html.Value);
        return this;
    }

    public override string ToString() => _builder.ToString();

    /// <summary>Masked, then encoded.</summary>
    public static string Encode(string? text) => text is null ? string.Empty : WebUtility.HtmlEncode(SecretMasker.Mask(text));

    /// <summary>A query string value: escaped, not masked (it names a root or a worker the server must find again).</summary>
    public static RawHtml Query(string text) => new(WebUtility.HtmlEncode(Uri.EscapeDataString(text)));

    public static RawHtml Fragment(Func<Html, Html> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        return new RawHtml(build(new Html()).ToString());
    }
}

[InterpolatedStringHandler]
public ref struct HtmlInterpolation
{
    private readonly StringBuilder _builder;

    public HtmlInterpolation(int literalLength, int formattedCount, Html html)
    {
        ArgumentNullException.ThrowIfNull(html);
        _ = literalLength;
        _ = formattedCount;
        _builder = html.Builder;
    }

    public readonly void AppendLiteral(string text) => _builder.Append(text);

    public readonly void AppendFormatted(RawHtml html) => _builder.Append(html.Value);

    public readonly void AppendFormatted(string? text) => _builder.Append(Html.Encode(text));

    public readonly void AppendFormatted<T>(T value) => AppendFormatted(value, null);

    public readonly void AppendFormatted<T>(T value, string? format) => _builder.Append(Html.Encode(value switch
    {
        null => null,
        IFormattable f => f.ToString(format, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    }));
}

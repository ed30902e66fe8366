using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Fleet.Rehearsal;

/// <summary>
/// The ids one endpoint puts in its answers. Each endpoint has its own random <see cref="Prefix"/>, so no id repeats
/// across endpoint restarts or runs: a live claude session that outlived an endpoint drops a new tool call whose id
/// it already holds, and the script then replays a turn. Tool call ids also carry the script position they were
/// played at, so a later request says where the script is (<see cref="PlayedPosition"/>).
/// </summary>
internal sealed partial class RehearsalIds(string prefix)
{
    /// <summary>Lower-case hex, no '_' (the separator in every id).</summary>
    public string Prefix { get; } = prefix;

    /// <summary>48 random bits: two endpoints never share a prefix in practice.</summary>
    public static RehearsalIds CreateRandom() => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));

    public string Request(long n) => Id("req", n);

    /// <summary>Anthropic message id.</summary>
    public string Message(long n) => Id("msg", n);

    /// <summary>Anthropic tool_use id of content block <paramref name="block"/>, played at script <paramref name="position"/>.</summary>
    public string ToolUse(long n, int block, int position) =>
        string.Create(CultureInfo.InvariantCulture, $"toolu_rehearsal_{Prefix}_{n}_{block}_p{position}");

    /// <summary>OpenAI response id.</summary>
    public string Response(long n) => Id("resp", n);

    /// <summary>OpenAI output message item id.</summary>
    public string OutputMessage(long n, int item) => string.Create(CultureInfo.InvariantCulture, $"msg_rehearsal_{Prefix}_{n}_{item}");

    /// <summary>OpenAI function_call item id.</summary>
    public string FunctionCall(long n) => Id("fc", n);

    /// <summary>OpenAI function_call <c>call_id</c>, played at script <paramref name="position"/>.</summary>
    public string Call(long n, int position) => string.Create(CultureInfo.InvariantCulture, $"call_rehearsal_{Prefix}_{n}_p{position}");

    /// <summary>
    /// The script position a tool call id of any rehearsal endpoint was played at; null for any other id (a real
    /// model's, or one from an endpoint that did not record positions).
    /// </summary>
    public static int? PlayedPosition(string? toolCallId)
    {
        var m = toolCallId is null ? Match.Empty : PositionedId().Match(toolCallId);
        return m.Success && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var position) ? position : null;
    }

    private string Id(string kind, long n) => string.Create(CultureInfo.InvariantCulture, $"{kind}_rehearsal_{Prefix}_{n}");

    [GeneratedRegex(@"^(?:toolu|call)_rehearsal_[0-9a-f]+_[0-9]+(?:_[0-9]+)?_p([0-9]{1,9})$")]
    private static partial Regex PositionedId();
}

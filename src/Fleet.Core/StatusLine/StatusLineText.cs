using System.Text.Json;
using Fleet.Pricing;

namespace Fleet.StatusLine;

/// <summary>What Claude Code's <c>statusLine</c> command gets on stdin that fleet reads: the session's own cost estimate.</summary>
public sealed record StatusLineInput(string? SessionId, decimal? SessionCostUsd)
{
    /// <summary>Reads what it can; anything else (no input, not JSON, fields missing) is an empty input, never an error.</summary>
    public static StatusLineInput Parse(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new(null, null);
            }

            var session = root.TryGetProperty("session_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            decimal? cost = root.TryGetProperty("cost", out var c) && c.ValueKind == JsonValueKind.Object
                && c.TryGetProperty("total_cost_usd", out var total) && total.ValueKind == JsonValueKind.Number && total.TryGetDecimal(out var usd) ? usd : null;
            return new(session, cost);
        }
        catch (JsonException)
        {
            return new(null, null);
        }
    }
}

/// <summary>A fleet with gates waiting for a person, as the status line names it.</summary>
public sealed record WaitingFleet(string Name, int Gates);

/// <summary>The one line fleet prints under a Claude Code session: this session's cost, today's, and the gates waiting.</summary>
public static class StatusLineText
{
    public static string Render(decimal? sessionCostUsd, decimal? todayCostUsd, IReadOnlyList<WaitingFleet> waiting)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        var parts = new List<string>();
        if (sessionCostUsd is { } session)
        {
            parts.Add($"{Usd.Cents(session)} session");
        }

        if (todayCostUsd is { } today)
        {
            parts.Add($"{Usd.Cents(today)} today");
        }

        var gates = waiting.Sum(w => w.Gates);
        if (gates > 0)
        {
            var where = waiting.Count == 1 ? waiting[0].Name : $"{waiting.Count} fleets";
            parts.Add($"{gates} gate{(gates == 1 ? "" : "s")} waiting ({where}): fleet inbox");
        }
        else
        {
            parts.Add("no gates waiting");
        }

        return string.Join(" · ", parts);
    }

}

using Fleet.Pricing;
using Fleet.StatusLine;
using Fleet.Telemetry.Reports;
using Fleet.Telemetry.Store;

namespace Fleet.UseCases;

/// <param name="SessionId">The Claude Code session the line is shown under, when its JSON named it.</param>
/// <param name="SessionCostUsd">That session's own cost estimate.</param>
/// <param name="TodayCostUsd">Today's cost (UTC day) in the telemetry store; null when there is no store.</param>
/// <param name="Waiting">The user's fleets with gates waiting for a person.</param>
public sealed record StatusLineView(string? SessionId, decimal? SessionCostUsd, decimal? TodayCostUsd, IReadOnlyList<WaitingFleet> Waiting);

/// <summary>
/// <c>fleet statusline</c>: what the line under a Claude Code session shows. The store is read as it is (nothing is
/// ingested): a status line runs after every turn and must be fast.
/// </summary>
public sealed class ReadStatusLine(FleetHost host)
{
    /// <param name="input">Claude Code's JSON for the session (anything else reads as an empty session).</param>
    /// <param name="store">The telemetry store, or null when there is none yet.</param>
    public async Task<StatusLineView> ReadAsync(string input, TelemetryStore? store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var session = StatusLineInput.Parse(input);
        var fleets = await new ReadFleetStatus(host).ListAsync(cancellationToken);
        var waiting = fleets.Where(f => f.Status is { NeedsYou.Count: > 0 }).Select(f => new WaitingFleet(f.Status!.Name, f.Status.NeedsYou.Count)).ToList();
        decimal? today = null;
        if (store is not null)
        {
            var day = DateOnly.FromDateTime(host.Time.GetUtcNow().UtcDateTime);
            today = (await UsageReport.BuildAsync(store, UsageGrouping.Day, day, day, PriceTable.Load(null), cancellationToken)).Totals.CostUsd;
        }

        return new(session.SessionId, session.SessionCostUsd, today, waiting);
    }
}

using Fleet.Pricing;
using Fleet.Streams;

namespace Fleet.Workers;

/// <summary>
/// A gemini worker's run priced from gemini's own session file rather than from ACP's per-prompt totals (which count the
/// cached part as plain input and leave the thoughts out): the messages of this run, those written since the agent
/// started. The exit record then names the file, so the flight recorder ingests the same messages and <c>fleet usage</c>
/// agrees with <c>fleet status</c>. When the file is not found the record keeps the ACP totals. The file is renamed once,
/// so that a later iteration can load the session (<see cref="GeminiSessionFile.KeepApart"/>).
/// </summary>
internal static class GeminiRunUsage
{
    public static WorkerExitRecord Apply(WorkerExitRecord record, WorkerLaunchSpec spec)
    {
        if (spec.GeminiSession is null || record.SessionId is not { } session
            || GeminiSessionFile.HomeOf(Variable) is not { } home || GeminiSessionFile.Find(home, session) is not { } found)
        {
            return record;
        }

        // Before the next iteration loads the session: see KeepApart.
        var file = GeminiSessionFile.KeepApart(found);

        Dictionary<string, GeminiUsage> usage;
        try
        {
            usage = GeminiSessionFile.UsageSince(File.ReadLines(file), record.StartedAt);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return record;
        }

        var priced = usage.Where(u => u.Value.InputTokens > 0 || u.Value.OutputTokens > 0).ToList();
        var prices = spec.PricesFile is { } pricesFile ? PriceTable.Load(pricesFile) : PriceTable.Default;
        return record with
        {
            SessionFile = file,
            CostUsd = GeminiStreamReader.Cost(usage, prices, []),
            InputTokens = priced.Sum(u => u.Value.UncachedInputTokens),
            OutputTokens = priced.Sum(u => u.Value.OutputTokens),
            Model = priced.Count == 1 ? priced[0].Key : record.Model,
        };

        string? Variable(string name) =>
            spec.Environment is { } environment && environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name);
    }
}

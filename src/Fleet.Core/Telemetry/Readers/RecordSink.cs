using Fleet.Telemetry.Schema;

namespace Fleet.Telemetry.Readers;

/// <summary>A tool call's outcome learned after its record was handed to the store (the result came in a later batch or pass).</summary>
public sealed record ToolOutcomeUpdate(string ToolUseId, ToolOutcome Outcome);

/// <summary>What a reader hands to the store at once.</summary>
internal sealed record RecordBatch(IReadOnlyList<TelemetryRecord> Records, IReadOnlyList<ToolOutcomeUpdate> Outcomes);

/// <summary>
/// Collects a reader's records in batches. A tool call is added as <see cref="ToolOutcome.Pending"/>; when its
/// result arrives while the call is still in the unflushed batch, the record is replaced in place, otherwise
/// an outcome update is queued for the store.
/// </summary>
internal sealed class RecordSink
{
    private readonly Dictionary<string, (int Generation, int Index)> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private List<TelemetryRecord> _records = [];
    private List<ToolOutcomeUpdate> _outcomes = [];
    private int _generation;

    public int Count => _records.Count + _outcomes.Count;

    public long Total { get; private set; }

    public void Add(TelemetryRecord record)
    {
        if (record is ToolCallRecord { ToolUseId: { } id } call)
        {
            _names[id] = call.Name;
            if (call.Outcome == ToolOutcome.Pending)
                _pending[id] = (_generation, _records.Count);
        }

        _records.Add(record);
        Total++;
    }

    /// <summary>The name of the tool call <paramref name="toolUseId"/> when this read saw it.</summary>
    public string? NameOf(string toolUseId) => _names.GetValueOrDefault(toolUseId);

    /// <summary>Sets the outcome of the call <paramref name="toolUseId"/>.</summary>
    public void Resolve(string toolUseId, ToolOutcome outcome)
    {
        if (_pending.Remove(toolUseId, out var at)
            && at.Generation == _generation
            && _records[at.Index] is ToolCallRecord call)
        {
            _records[at.Index] = call with { Outcome = outcome };
            return;
        }

        _outcomes.Add(new ToolOutcomeUpdate(toolUseId, outcome));
    }

    public RecordBatch Flush()
    {
        var batch = new RecordBatch(_records, _outcomes);
        _records = [];
        _outcomes = [];
        _generation++;
        return batch;
    }
}

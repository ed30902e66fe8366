using System.Text.Json;

namespace Fleet.Streams;

/// <summary>
/// What every reader of an agent's JSON-lines stdout does alike: a line that is not JSON is counted as malformed, one
/// that is not an object is skipped, and an object's events (found by <see cref="Parse"/>, which also keeps what the
/// summary needs) are returned for a viewer. Never throws on bad input.
/// </summary>
public abstract class JsonStreamReader : IAgentStreamReader
{
    private readonly List<AgentEvent> _events = [];

    /// <summary>Lines that were not valid JSON.</summary>
    protected int MalformedLines { get; private set; }

    public abstract AgentStreamSummary Summary { get; }

    public void Accept(ReadOnlySpan<byte> line) => Read(line);

    /// <summary>Reads one line, updates the summary, and returns the line's events (for a viewer).</summary>
    public IReadOnlyList<AgentEvent> Read(ReadOnlySpan<byte> line)
    {
        var kind = JsonLine.TryParse(line, out var doc);
        if (kind == JsonLine.Kind.Malformed)
            MalformedLines++;
        if (kind != JsonLine.Kind.Object)
            return [];

        _events.Clear();
        using (doc)
            Parse(doc!.RootElement, _events);
        return [.. _events];
    }

    /// <summary>Reads one JSON object: adds its events to <paramref name="events"/> and keeps what the summary needs.</summary>
    protected abstract void Parse(JsonElement root, List<AgentEvent> events);
}

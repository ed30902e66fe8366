using Fleet.Streams;

namespace Fleet.Workers;

/// <summary>The reader for command workers: their stdout is text, not an agent stream, so it only counts lines.</summary>
public sealed class PlainStreamReader : IAgentStreamReader
{
    public long Lines { get; private set; }

    public AgentStreamSummary Summary => AgentStreamSummary.Empty;

    public void Accept(ReadOnlySpan<byte> line) => Lines++;
}

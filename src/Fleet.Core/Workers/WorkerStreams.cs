using Fleet.Pricing;
using Fleet.Streams;

namespace Fleet.Workers;

/// <summary>
/// The stream reader and the readable view for a worker's stream format. The view renders the events the
/// reader just parsed for the same line, so each line is parsed once.
/// </summary>
public static class WorkerStreams
{
    public static WorkerShimOptions OptionsFor(WorkerLaunchSpec spec, TextWriter? view)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var reader = Create(spec);
        return new WorkerShimOptions
        {
            ReaderFactory = _ => reader,
            Renderer = reader.RenderLast,
            View = view,
        };
    }

    public static EventReader Create(WorkerLaunchSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.StreamFormat switch
        {
            WorkerStreamFormats.Claude => new EventReader(new ClaudeStreamReader(spec.ClaudeBaseline)),
            WorkerStreamFormats.Codex => new EventReader(
                new CodexStreamReader(spec.Model, spec.PricesFile is { } file ? PriceTable.Load(file) : PriceTable.Default, spec.CodexBaseline)),
            WorkerStreamFormats.Gemini => new EventReader(new GeminiStreamReader(spec.PricesFile is { } prices ? PriceTable.Load(prices) : PriceTable.Default)),
            _ => new EventReader(new PlainStreamReader()),
        };
    }

    /// <summary>A reader that remembers the events of the last line, so the view can show them.</summary>
    public sealed class EventReader : IAgentStreamReader
    {
        private readonly IAgentStreamReader _inner;
        private IReadOnlyList<AgentEvent> _last = [];

        internal EventReader(IAgentStreamReader inner) => _inner = inner;

        public AgentStreamSummary Summary => _inner.Summary;

        public void Accept(ReadOnlySpan<byte> line)
        {
            if (_inner is JsonStreamReader json)
            {
                _last = json.Read(line);
            }
            else
            {
                _inner.Accept(line);
                _last = [];
            }
        }

        /// <summary>The readable lines for the events of the line just accepted; a plain worker's own line as it is.</summary>
        public string? RenderLast(ReadOnlySpan<byte> line)
        {
            if (_inner is PlainStreamReader)
            {
                return System.Text.Encoding.UTF8.GetString(line);
            }

            var text = string.Join('\n', _last.SelectMany(e => StreamRenderer.Render(e)));
            return text.Length == 0 ? null : text;
        }
    }
}

using System.Globalization;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Readers;
using Fleet.Telemetry.Schema;

namespace Fleet.Retro;

/// <summary>
/// The gates in one agent transcript (Claude Code JSONL or its <c>.chat.json</c> dump, a Codex rollout, a worker stream),
/// as the telemetry readers find them: questions with their answers, plan and tool approvals and rejections, interrupts.
/// Read in place, text kept (secrets masked), nothing stored.
/// </summary>
public static class TranscriptGates
{
    public static async Task<IReadOnlyList<RetroGate>> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var head = (await TranscriptFile.HeadAsync(path, 64 * 1024, cancellationToken).ConfigureAwait(false)).AsMemory();
        var document = TranscriptFile.IsDocument(path, head.Span);
        var format = document
            ? await TranscriptFile.SniffDocumentAsync(path, cancellationToken).ConfigureAwait(false)
            : await TranscriptFile.SniffLinesAsync(path, cancellationToken).ConfigureAwait(false);
        if (format == TranscriptFormat.Unknown)
        {
            return [];
        }

        var sink = new RecordSink();
        var records = new List<TelemetryRecord>();
        var reader = TranscriptReader.Create(format, new ReaderContext { File = path, Sink = sink, Privacy = new PrivacyPolicy(PrivacyLevel.Full) });
        ValueTask Flush(RecordBatch batch)
        {
            records.AddRange(batch.Records);
            return ValueTask.CompletedTask;
        }

        _ = document
            ? await TranscriptFile.FeedDocumentAsync(path, reader, sink, Flush, cancellationToken).ConfigureAwait(false)
            : await TranscriptFile.FeedLinesAsync(path, 0, 0, reader, sink, Flush, cancellationToken).ConfigureAwait(false);
        await Flush(sink.Flush()).ConfigureAwait(false);
        return FromRecords(records);
    }

    /// <summary>Gates from telemetry records, in their order; an answer joins its question by tool-use id.</summary>
    public static IReadOnlyList<RetroGate> FromRecords(IReadOnlyList<TelemetryRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var answers = records.OfType<AnswerRecord>().Where(a => a.ToolUseId is not null).GroupBy(a => a.ToolUseId!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var gates = new List<RetroGate>();
        foreach (var record in records)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(record.Source.File)}:{record.Source.Line}");
            RetroGate? gate = record switch
            {
                QuestionRecord q => new RetroGate(id, "question", q.Tool, q.Text, q.ToolUseId is { } u && answers.TryGetValue(u, out var a) ? "answer" : null,
                    Answer: q.ToolUseId is { } v && answers.TryGetValue(v, out var b) ? b.Text : null, AskedAt: q.Timestamp),
                ApprovalRecord { Subject: GateSubject.Plan } p => new RetroGate(id, "plan", p.ToolName, Decision: "allow", AskedAt: p.Timestamp),
                RejectionRecord { Subject: GateSubject.Plan } r => new RetroGate(id, "plan", r.ToolName, r.Text, "deny", AskedAt: r.Timestamp),
                ApprovalRecord p => new RetroGate(id, "permission", p.ToolName, Decision: "allow", AskedAt: p.Timestamp),
                RejectionRecord r => new RetroGate(id, "permission", r.ToolName, Decision: "deny", AskedAt: r.Timestamp),
                InterruptRecord i => new RetroGate(id, "interrupt", Asked: i.Reason, Decision: "interrupted", AskedAt: i.Timestamp),
                _ => null,
            };
            if (gate is not null)
            {
                gates.Add(gate);
            }
        }

        return gates;
    }
}

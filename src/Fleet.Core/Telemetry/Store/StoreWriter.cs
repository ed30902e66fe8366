using System.Globalization;
using System.Runtime.CompilerServices;
using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Readers;
using Fleet.Telemetry.Schema;
using Microsoft.Data.Sqlite;

namespace Fleet.Telemetry.Store;

/// <summary>
/// Writes one ingest into the store inside a single transaction (all or nothing: a killed ingest leaves the
/// store as it was, so offsets and rows never disagree). Claude model calls are deduplicated here, across
/// every file ever ingested, by ccusage's rule (agent-clis.md §5.1): the same <c>(message.id, requestId)</c>
/// is one call, the line with the largest token total wins, a non-sidechain line beats a sidechain one, and a
/// sidechain line with the parent's <c>message.id</c> but another <c>requestId</c> is a replay of it.
/// Codex usage events are deduplicated on (time, model, tokens), which is how a fork's copied history is
/// told from new spend (ccusage does the same).
/// </summary>
internal sealed class StoreWriter : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteTransaction _transaction;
    private readonly RawStatement _insertEvent;
    private readonly RawStatement _insertCall;
    private readonly RawStatement _updateCall;
    private readonly RawStatement _outcome;
    private readonly RawStatement _saveSource;
    private readonly Dictionary<string, List<DedupEntry>> _byMessage = new(StringComparer.Ordinal);
    private readonly HashSet<CodexKey> _codexSeen = [];
    private readonly RepeatedText _session = new();
    private readonly RepeatedText _agent = new();
    private readonly RepeatedText _project = new();
    private readonly RepeatedText _model = new();
    private readonly RepeatedText _name = new();
    private bool _committed;
    private bool _bulk;

    /// <summary>
    /// A Codex usage event as ccusage identifies it: a fork or a sub-agent rollout copies its parent's history,
    /// token_count events included, with the same timestamps; the copy is the same spend, not more.
    /// </summary>
    private readonly record struct CodexKey(long? Ts, string? Model, long Input, long Cached, long Output, long Reasoning);

    private sealed class DedupEntry
    {
        public long RowId;
        public string? RequestId;
        public bool Sidechain;
        public long Total;
        public bool Fast;
    }

    private StoreWriter(SqliteConnection connection)
    {
        _connection = connection;
        _transaction = connection.BeginTransaction();
        // Parameters are bound in the order they appear (RawStatement): keep each VALUES list in column order.
        _insertEvent = new RawStatement(connection, """
            INSERT INTO events(source_id, line, kind, provider, session_id, agent_id, sidechain, ts, name, tool_use_id, outcome, subject, count, number, text, run, fleet, worker, iteration, issue)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """);
        const string CallColumns = "source_id, line, provider, session_id, agent_id, sidechain, project, ts, model, model_assumed, message_id, request_id, input, output, cache_write_5m, cache_write_1h, cache_read, reasoning, fast, reported_cost, run, fleet, worker, iteration, issue";
        const string CallValues = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";
        _insertCall = new RawStatement(connection, $"INSERT INTO model_calls({CallColumns}) VALUES ({CallValues})");
        _updateCall = new RawStatement(connection, $"UPDATE model_calls SET ({CallColumns}) = ({CallValues}) WHERE id = ?");
        // Served by the partial index events_pending: only calls still waiting for their result are indexed.
        _outcome = new RawStatement(connection, "UPDATE events SET outcome = ? WHERE tool_use_id = ? AND kind = 'tool_call' AND outcome = 'pending'");
        _saveSource = new RawStatement(connection, """
            INSERT INTO sources(path, format, prefix_len, prefix_hash, size, offset, line, malformed, truncated, state, project, run, fleet, worker, iteration, issue, ingested_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(path) DO UPDATE SET format = excluded.format, prefix_len = excluded.prefix_len, prefix_hash = excluded.prefix_hash,
              size = excluded.size, offset = excluded.offset, line = excluded.line, malformed = excluded.malformed, truncated = excluded.truncated,
              state = excluded.state, project = excluded.project, run = excluded.run, fleet = excluded.fleet, worker = excluded.worker,
              iteration = excluded.iteration, issue = excluded.issue, ingested_at = excluded.ingested_at
            RETURNING id
            """);
    }

    public static async Task<StoreWriter> BeginAsync(TelemetryStore store, CancellationToken cancellationToken)
    {
        var writer = new StoreWriter(store.Connection);
        try
        {
            writer.BeginBulkIfEmpty();

            await using var command = store.Connection.CreateCommand();
            command.Transaction = writer._transaction;
            command.CommandText = "SELECT id, message_id, request_id, sidechain, input + output + cache_write_5m + cache_write_1h + cache_read, fast FROM model_calls WHERE provider = 'claude' AND message_id IS NOT NULL";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                writer.Index(reader.GetString(1), new DedupEntry
                {
                    RowId = reader.GetInt64(0),
                    RequestId = reader.IsDBNull(2) ? null : reader.GetString(2),
                    Sidechain = reader.GetInt64(3) != 0,
                    Total = reader.GetInt64(4),
                    Fast = reader.GetInt64(5) != 0,
                });
            }

            await using var codex = store.Connection.CreateCommand();
            codex.Transaction = writer._transaction;
            codex.CommandText = "SELECT ts, model, input, cache_read, output, reasoning FROM model_calls WHERE provider = 'codex'";
            await using var rows = await codex.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                writer._codexSeen.Add(new CodexKey(
                    rows.IsDBNull(0) ? null : rows.GetInt64(0),
                    rows.IsDBNull(1) ? null : rows.GetString(1),
                    rows.GetInt64(2),
                    rows.GetInt64(3),
                    rows.GetInt64(4),
                    rows.GetInt64(5)));
            }

            return writer;
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    private SqliteCommand Prepare(string sql)
    {
        var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        return command;
    }

    private void Index(string messageId, DedupEntry entry)
    {
        if (!_byMessage.TryGetValue(messageId, out var list))
            _byMessage[messageId] = list = new List<DedupEntry>(1);
        list.Add(entry);
    }

    /// <summary>Removes everything read from a source before (the file was replaced or rewritten).</summary>
    public void DeleteSourceRows(long sourceId)
    {
        using var command = Prepare("DELETE FROM events WHERE source_id = $id; DELETE FROM model_calls WHERE source_id = $id;");
        command.Parameters.AddWithValue("$id", sourceId);
        command.ExecuteNonQuery();

        // Rare (a replaced file): rebuild both dedup indexes from what is left.
        _byMessage.Clear();
        _codexSeen.Clear();
        using var reload = Prepare("SELECT id, message_id, request_id, sidechain, input + output + cache_write_5m + cache_write_1h + cache_read, fast FROM model_calls WHERE provider = 'claude' AND message_id IS NOT NULL");
        using (var reader = reload.ExecuteReader())
        {
            while (reader.Read())
            {
                Index(reader.GetString(1), new DedupEntry
                {
                    RowId = reader.GetInt64(0),
                    RequestId = reader.IsDBNull(2) ? null : reader.GetString(2),
                    Sidechain = reader.GetInt64(3) != 0,
                    Total = reader.GetInt64(4),
                    Fast = reader.GetInt64(5) != 0,
                });
            }
        }

        using var codex = Prepare("SELECT ts, model, input, cache_read, output, reasoning FROM model_calls WHERE provider = 'codex'");
        using var rows = codex.ExecuteReader();
        while (rows.Read())
            _codexSeen.Add(new CodexKey(rows.IsDBNull(0) ? null : rows.GetInt64(0), rows.IsDBNull(1) ? null : rows.GetString(1), rows.GetInt64(2), rows.GetInt64(3), rows.GetInt64(4), rows.GetInt64(5)));
    }

    /// <summary>Creates or updates a source's row; returns its id.</summary>
    public long SaveSource(SourceRow row, string? project, RunTags tags, DateTimeOffset now)
    {
        var command = _saveSource;
        Text(command, row.Path);
        command.Add(row.Format);
        command.Add(row.PrefixLength);
        command.Add(row.PrefixHash);
        command.Add(row.Size);
        command.Add(row.Offset);
        command.Add(row.Line);
        command.Add(row.Malformed);
        command.Add(row.TruncatedTail);
        Text(command, row.State);
        Text(command, project);
        BindTags(command, tags);
        command.Add(now.ToString("O", CultureInfo.InvariantCulture));
        return command.ExecuteScalar();
    }

    /// <summary>Writes a batch of one source's records.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (long Records, long ModelCalls) Write(long sourceId, string? project, RecordBatch batch)
    {
        long records = 0, calls = 0;
        foreach (var record in batch.Records)
        {
            if (record is ModelCallRecord call)
            {
                if (WriteCall(sourceId, project, call))
                    calls++;
            }
            else
            {
                WriteEvent(sourceId, record);
                records++;
            }
        }

        foreach (var update in batch.Outcomes)
        {
            _outcome.Add(Name(update.Outcome));
            Text(_outcome, update.ToolUseId);
            _outcome.Execute();
        }

        return (records, calls);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool WriteCall(long sourceId, string? project, ModelCallRecord call)
    {
        if (call.Provider == AgentProvider.Codex
            && !_codexSeen.Add(new CodexKey(call.Timestamp?.ToUnixTimeMilliseconds(), call.Model, call.InputTokens, call.CacheReadTokens, call.OutputTokens, call.ReasoningOutputTokens)))
        {
            return false;
        }

        DedupEntry? existing = null;
        if (call.Provider == AgentProvider.Claude && call.MessageId is { } messageId && _byMessage.TryGetValue(messageId, out var list))
        {
            existing = list.Find(e => e.RequestId == call.RequestId)
                ?? list.Find(e => call.Sidechain || e.Sidechain);
        }

        if (existing is not null)
        {
            if (!ShouldReplace(call, existing))
                return false;
            BindCall(_updateCall, sourceId, project, call);
            _updateCall.Add(existing.RowId);
            _updateCall.Execute();
            existing.RequestId = call.RequestId;
            existing.Sidechain = call.Sidechain;
            existing.Total = call.TotalTokens;
            existing.Fast = call.Fast;
            return false;
        }

        BindCall(_insertCall, sourceId, project, call);
        var id = _insertCall.Execute();
        if (call.Provider == AgentProvider.Claude && call.MessageId is { } key)
            Index(key, new DedupEntry { RowId = id, RequestId = call.RequestId, Sidechain = call.Sidechain, Total = call.TotalTokens, Fast = call.Fast });
        return true;
    }

    private static bool ShouldReplace(ModelCallRecord candidate, DedupEntry existing)
    {
        if (candidate.Sidechain != existing.Sidechain)
            return existing.Sidechain;
        if (candidate.TotalTokens != existing.Total)
            return candidate.TotalTokens > existing.Total;
        return candidate.Fast && !existing.Fast;
    }

    private void BindCall(RawStatement command, long sourceId, string? project, ModelCallRecord call)
    {
        command.Add(sourceId);
        command.Add(call.Source.Line);
        command.Add(Name(call.Provider));
        command.Add(_session.Mask(call.SessionId));
        command.Add(_agent.Mask(call.AgentId));
        command.Add(call.Sidechain);
        command.Add(_project.Mask(project));
        command.Add(call.Timestamp?.ToUnixTimeMilliseconds());
        command.Add(_model.Mask(call.Model));
        command.Add(call.ModelAssumed);
        Text(command, call.MessageId);
        Text(command, call.RequestId);
        command.Add(call.InputTokens);
        command.Add(call.OutputTokens);
        command.Add(call.CacheWrite5mTokens);
        command.Add(call.CacheWrite1hTokens);
        command.Add(call.CacheReadTokens);
        command.Add(call.ReasoningOutputTokens);
        command.Add(call.Fast);
        command.Add(call.CostUsd is { } cost ? (double)cost : null);
        BindTags(command, call.Tags);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteEvent(long sourceId, TelemetryRecord record)
    {
        string? name = null, toolUseId = null, outcome = null, subject = null, text = null;
        long? count = null, number = null;
        switch (record)
        {
            case SessionRecord s:
                name = s.Project;
                text = string.Join(' ', new[] { s.Version, s.Entrypoint, s.GitBranch }.Select(x => x ?? "-"));
                break;
            case ToolCallRecord t:
                (name, toolUseId, outcome, text) = (t.Name, t.ToolUseId, Name(t.Outcome), t.Input);
                break;
            case HumanPromptRecord p:
                (name, count, text) = (p.Command, p.Length, p.Text);
                break;
            case QuestionRecord q:
                (name, toolUseId, count, text) = (q.Tool, q.ToolUseId, q.Questions, q.Text);
                break;
            case AnswerRecord a:
                (toolUseId, count, text) = (a.ToolUseId, a.Answers, a.Text);
                break;
            case ApprovalRecord a:
                (name, toolUseId, subject) = (a.ToolName, a.ToolUseId, Name(a.Subject));
                break;
            case RejectionRecord r:
                (name, toolUseId, subject, text) = (r.ToolName, r.ToolUseId, Name(r.Subject), r.Text);
                break;
            case PermissionDeniedRecord d:
                (name, toolUseId) = (d.ToolName, d.ToolUseId);
                break;
            case InterruptRecord i:
                name = i.Reason;
                break;
            case CompactionRecord c:
                (name, number) = (c.Trigger, c.PreTokens);
                break;
            case ApiErrorRecord e:
                (name, number, text) = (e.ErrorKind, e.Status, e.Message);
                break;
        }

        // kind, provider, outcome and subject are fleet's own names; everything else came from a transcript.
        var command = _insertEvent;
        command.Add(sourceId);
        command.Add(record.Source.Line);
        command.Add(record.Kind);
        command.Add(Name(record.Provider));
        command.Add(_session.Mask(record.SessionId));
        command.Add(_agent.Mask(record.AgentId));
        command.Add(record.Sidechain);
        command.Add(record.Timestamp?.ToUnixTimeMilliseconds());
        command.Add(_name.Mask(name));
        Text(command, toolUseId);
        command.Add(outcome);
        command.Add(subject);
        command.Add(count);
        command.Add(number);
        Text(command, text);
        BindTags(command, record.Tags);
        command.Execute();
    }

    private static void BindTags(RawStatement command, RunTags tags)
    {
        Text(command, tags.Run);
        Text(command, tags.Fleet);
        Text(command, tags.Worker);
        command.Add((long?)tags.Iteration);
        Text(command, tags.Issue);
    }

    /// <summary>Binds text that came from outside fleet: through the secret masker first, whatever the privacy level.</summary>
    private static void Text(RawStatement command, string? value) => command.Add(value is null ? null : SecretMasker.Mask(value));

    /// <summary>
    /// A column whose value repeats row after row (a file's session id, its project, the model, the tool's name): the
    /// masker runs when the value changes, not on every row. The masker's trigger search costs 20 to 160 ns on an id.
    /// </summary>
    private sealed class RepeatedText
    {
        private string? _raw;
        private string? _masked;

        public string? Mask(string? value)
        {
            if (value is null)
                return null;
            if (!ReferenceEquals(value, _raw) && !string.Equals(value, _raw, StringComparison.Ordinal))
            {
                _masked = SecretMasker.Mask(value);
                _raw = value;
            }

            return _masked;
        }
    }

    internal static string Name(AgentProvider provider) => provider switch
    {
        AgentProvider.Claude => "claude",
        AgentProvider.Codex => "codex",
        _ => "fleet",
    };

    internal static string Name(ToolOutcome outcome) => outcome switch
    {
        ToolOutcome.Ok => "ok",
        ToolOutcome.Error => "error",
        ToolOutcome.Rejected => "rejected",
        ToolOutcome.Denied => "denied",
        _ => "pending",
    };

    internal static string Name(GateSubject subject) => subject == GateSubject.Plan ? "plan" : "tool";

    /// <summary>A first ingest into an empty store writes without the report indexes and builds them before it commits.</summary>
    private void BeginBulkIfEmpty()
    {
        using var probe = Prepare("SELECT NOT EXISTS (SELECT 1 FROM events) AND NOT EXISTS (SELECT 1 FROM model_calls)");
        _bulk = Convert.ToInt64(probe.ExecuteScalar(), CultureInfo.InvariantCulture) == 1;
        if (!_bulk)
            return;
        using var drop = Prepare(string.Concat(TelemetryStore.BulkIndexes.Select(i => $"DROP INDEX IF EXISTS {i.Name};")));
        drop.ExecuteNonQuery();
    }

    public void Commit()
    {
        if (_bulk)
        {
            using var build = Prepare(TelemetryStore.CreateBulkIndexes);
            build.ExecuteNonQuery();
        }

        _transaction.Commit();
        _committed = true;
    }

    public void Dispose()
    {
        _insertEvent.Dispose();
        _insertCall.Dispose();
        _updateCall.Dispose();
        _outcome.Dispose();
        _saveSource.Dispose();
        if (!_committed)
            _transaction.Rollback();
        _transaction.Dispose();
    }
}

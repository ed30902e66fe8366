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
/// every file ever ingested, by ccusage's rule: the same <c>(message.id, requestId)</c>
/// is one call, the line with the largest token total wins, a non-sidechain line beats a sidechain one, and a
/// sidechain line with the parent's <c>message.id</c> but another <c>requestId</c> is a replay of it.
/// Codex usage events are deduplicated on (time, model, tokens), which is how a fork's copied history is
/// told from new spend (ccusage does the same). Ids and models are compared as they are stored (masked).
/// <para>
/// Memory does not grow with the store. The calls a call may duplicate are found in the store itself: through
/// the index on <c>model_calls(message_id)</c> (Codex: <c>model_calls(ts)</c>), one lookup per call, so an
/// ingest with little to write reads little. A first ingest into an empty store writes without those indexes
/// (<see cref="TelemetryStore.BulkIndexes"/>) and finds candidates through a <see cref="DedupTable"/> of hashes
/// instead, then reads each candidate row back by rowid: a hash only ever proposes a row, the stored values decide.
/// </para>
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
    private RawStatement _claudeCandidates;
    private RawStatement _codexDuplicate;
    private RawStatement _codexSameUsage;
    private readonly RepeatedText _session = new();
    private readonly RepeatedText _agent = new();
    private readonly RepeatedText _project = new();
    private readonly RepeatedText _model = new();
    private readonly RepeatedText _name = new();
    private readonly ulong _seed = (ulong)Random.Shared.NextInt64();
    private readonly List<long> _rowIds = [];
    private readonly List<Candidate> _candidates = [];
    private readonly bool _bulk;
    private readonly int _tableLimit;
    private DedupTable? _table;
    private bool _committed;

    /// <summary>A stored Claude call with the message id of the call being written.</summary>
    private readonly record struct Candidate(long RowId, bool SameRequest, bool Sidechain, long Total, bool Fast);

    /// <summary>
    /// Calls a first ingest keeps hashes of (16 bytes a slot, at most 3/4 full) before it builds the lookup indexes and
    /// goes on as an ingest into a store with rows does, so that memory stops growing with the corpus.
    /// </summary>
    internal const int DefaultTableLimit = 3 << 18;

    private StoreWriter(SqliteConnection connection, SqliteTransaction transaction, int keyBits, int tableLimit)
    {
        _connection = connection;
        _transaction = transaction;
        _tableLimit = tableLimit;
        _bulk = BeginBulkIfEmpty();
        if (_bulk)
            _table = new DedupTable(keyBits);

        // Parameters are bound in the order they appear (RawStatement): keep each VALUES list in column order.
        _insertEvent = new RawStatement(connection, """
            INSERT INTO events(source_id, line, kind, provider, session_id, agent_id, sidechain, ts, name, tool_use_id, outcome, subject, count, number, text, run, fleet, worker, iteration, issue, arm)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """);
        const string CallColumns = "source_id, line, provider, session_id, agent_id, sidechain, project, ts, model, model_assumed, message_id, request_id, input, output, cache_write_5m, cache_write_1h, cache_read, reasoning, fast, reported_cost, run, fleet, worker, iteration, issue, arm, rehearsal";
        const string CallValues = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";
        _insertCall = new RawStatement(connection, $"INSERT INTO model_calls({CallColumns}) VALUES ({CallValues})");
        _updateCall = new RawStatement(connection, $"UPDATE model_calls SET ({CallColumns}) = ({CallValues}) WHERE id = ?");
        // Served by the partial index events_pending: only calls still waiting for their result are indexed.
        _outcome = new RawStatement(connection, "UPDATE events SET outcome = ? WHERE tool_use_id = ? AND kind = 'tool_call' AND outcome = 'pending'");
        _saveSource = new RawStatement(connection, """
            INSERT INTO sources(path, format, prefix_len, prefix_hash, size, offset, line, malformed, truncated, state, project, run, fleet, worker, iteration, issue, arm, ingested_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(path) DO UPDATE SET format = excluded.format, prefix_len = excluded.prefix_len, prefix_hash = excluded.prefix_hash,
              size = excluded.size, offset = excluded.offset, line = excluded.line, malformed = excluded.malformed, truncated = excluded.truncated,
              state = excluded.state, project = excluded.project, run = excluded.run, fleet = excluded.fleet, worker = excluded.worker,
              iteration = excluded.iteration, issue = excluded.issue, arm = excluded.arm, ingested_at = excluded.ingested_at
            RETURNING id
            """);

        // Candidates for dedup: read back by rowid after a hash hit (first ingest), else found through the indexes.
        _claudeCandidates = new RawStatement(connection, _bulk ? ClaudeCandidateByRowId : ClaudeCandidatesByMessage);
        _codexDuplicate = new RawStatement(connection, _bulk ? CodexDuplicateByRowId : CodexDuplicateByTime);
        _codexSameUsage = new RawStatement(connection, _bulk ? CodexSameUsageByRowId : CodexSameUsageByKey);
    }

    private const string CodexSameUsageByRowId = "SELECT 1 FROM model_calls WHERE id = ? AND message_id = ? AND provider = 'codex'";

    /// <summary>A stored Codex call with the same session and cumulative total: served by the partial index model_calls_message.</summary>
    internal const string CodexSameUsageByKey = "SELECT 1 FROM model_calls WHERE message_id = ? AND provider = 'codex' LIMIT 1";

    // The same-request test is SQLite's (request_id IS ?), so no stored id is decoded into a string.
    private const string ClaudeCandidate = "SELECT id, request_id IS ?, sidechain, input + output + cache_write_5m + cache_write_1h + cache_read, fast FROM model_calls";
    private const string ClaudeCandidateByRowId = $"{ClaudeCandidate} WHERE id = ? AND message_id = ? AND provider = 'claude'";
    private const string SameCodexCall = "ts IS ? AND model IS ? AND input = ? AND cache_read = ? AND output = ? AND reasoning = ? AND provider = 'codex'";
    private const string CodexDuplicateByRowId = $"SELECT 1 FROM model_calls WHERE id = ? AND {SameCodexCall}";

    /// <summary>The lookup of an ingest into a store that has rows: served by the partial index model_calls_message.</summary>
    internal const string ClaudeCandidatesByMessage = $"{ClaudeCandidate} WHERE message_id = ? AND provider = 'claude' ORDER BY id";

    /// <summary>The Codex lookup of an ingest into a store that has rows: served by the index model_calls_ts.</summary>
    internal const string CodexDuplicateByTime = $"SELECT 1 FROM model_calls WHERE {SameCodexCall} LIMIT 1";

    /// <param name="store">The store to write.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <param name="keyBits">Bits kept of each dedup hash: 64, or fewer only for tests that make hashes collide.</param>
    /// <param name="tableLimit">Calls hashed before the lookups move to the store's indexes (<see cref="DefaultTableLimit"/>; small only in tests).</param>
    public static Task<StoreWriter> BeginAsync(TelemetryStore store, CancellationToken cancellationToken, int keyBits = 64, int tableLimit = DefaultTableLimit)
    {
        ArgumentNullException.ThrowIfNull(store);
        cancellationToken.ThrowIfCancellationRequested();
        var transaction = store.Connection.BeginTransaction();
        try
        {
            return Task.FromResult(new StoreWriter(store.Connection, transaction, keyBits, tableLimit));
        }
        catch
        {
            transaction.Dispose();
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

    /// <summary>Removes everything read from a source before (the file was replaced or rewritten).</summary>
    public void DeleteSourceRows(long sourceId)
    {
        using var command = Prepare("DELETE FROM events WHERE source_id = $id; DELETE FROM model_calls WHERE source_id = $id;");
        command.Parameters.AddWithValue("$id", sourceId);
        command.ExecuteNonQuery();
        // A hash table entry whose row is gone is harmless: its candidate row is read back and no longer found.
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
        ulong key = 0, usageKey = 0;
        // Each id is masked once: the dedup lookup and the row use the same masked text.
        var messageId = SecretMasker.MaskOrNull(call.MessageId);
        var requestId = SecretMasker.MaskOrNull(call.RequestId);
        if (call.Provider == AgentProvider.Codex)
        {
            var model = _model.Mask(call.Model);
            var ts = call.Timestamp?.ToUnixTimeMilliseconds();
            key = CodexKey(ts, model, call);
            if (messageId is not null)
            {
                // The session and the cumulative total it reached identify the call: two responses of equal size at one
                // time (a worker log's lines carry no time) are two calls, and a copy of the rollout is the same calls.
                usageKey = DedupTable.Hash(messageId, _seed ^ 0x5E55);
                if (IsSameCodexUsage(usageKey, messageId))
                    return false;
            }
            else if (IsCodexDuplicate(key, ts, model, call))
            {
                return false;
            }
        }
        else if (call.Provider == AgentProvider.Claude && messageId is not null)
        {
            key = ClaudeKey(messageId);
            FindClaudeCandidates(key, messageId, requestId);
            if (Existing(call) is { } existing)
            {
                if (!ShouldReplace(call, existing))
                    return false;
                BindCall(_updateCall, sourceId, project, call, messageId, requestId);
                _updateCall.Add(existing.RowId);
                _updateCall.Execute();
                return false;
            }
        }

        BindCall(_insertCall, sourceId, project, call, messageId, requestId);
        var rowId = _insertCall.Execute();
        if (_table is not null && (call.Provider == AgentProvider.Codex || (call.Provider == AgentProvider.Claude && call.MessageId is not null)))
        {
            _table.Add(key, rowId);
            if (usageKey != 0)
                _table.Add(usageKey, rowId);
            if (_table.Count >= _tableLimit)
                MoveLookupsToIndexes();
        }

        return true;
    }

    /// <summary>Builds the indexes the dedup lookups of a store with rows use, and uses them from now on (<see cref="DefaultTableLimit"/>).</summary>
    private void MoveLookupsToIndexes()
    {
        using (var build = Prepare(TelemetryStore.CreateLookupIndexes))
            build.ExecuteNonQuery();
        _claudeCandidates.Dispose();
        _codexDuplicate.Dispose();
        _codexSameUsage.Dispose();
        _claudeCandidates = new RawStatement(_connection, ClaudeCandidatesByMessage);
        _codexDuplicate = new RawStatement(_connection, CodexDuplicateByTime);
        _codexSameUsage = new RawStatement(_connection, CodexSameUsageByKey);
        _table = null;
    }

    /// <summary>ccusage's choice among the stored calls with the same message id: the same request, else a sidechain replay.</summary>
    private Candidate? Existing(ModelCallRecord call)
    {
        foreach (var candidate in _candidates)
        {
            if (candidate.SameRequest)
                return candidate;
        }

        foreach (var candidate in _candidates)
        {
            if (call.Sidechain || candidate.Sidechain)
                return candidate;
        }

        return null;
    }

    private static bool ShouldReplace(ModelCallRecord candidate, Candidate existing)
    {
        if (candidate.Sidechain != existing.Sidechain)
            return existing.Sidechain;
        if (candidate.TotalTokens != existing.Total)
            return candidate.TotalTokens > existing.Total;
        return candidate.Fast && !existing.Fast;
    }

    // Claude and Codex keys share the table, seeded apart; a row of the other provider read back never matches anyway.
    private ulong ClaudeKey(string messageId) => DedupTable.Hash(messageId, _seed);

    private ulong CodexKey(long? ts, string? model, ModelCallRecord call)
    {
        var h = DedupTable.Mix(_seed ^ 0xC0DE, ts is { } t ? (ulong)t : 0x8000_0000_0000_0001UL);
        h = DedupTable.Mix(h, model is null ? 0 : DedupTable.Hash(model, _seed));
        h = DedupTable.Mix(h, (ulong)call.InputTokens);
        h = DedupTable.Mix(h, (ulong)call.CacheReadTokens);
        h = DedupTable.Mix(h, (ulong)call.OutputTokens);
        return DedupTable.Finish(DedupTable.Mix(h, (ulong)call.ReasoningOutputTokens));
    }

    /// <summary>Fills <see cref="_candidates"/> with the stored Claude calls whose message id is exactly <paramref name="messageId"/>, oldest first.</summary>
    private void FindClaudeCandidates(ulong key, string messageId, string? requestId)
    {
        _candidates.Clear();
        var query = _claudeCandidates;
        if (_table is null)
        {
            query.Add(requestId);
            query.Add(messageId);
            ReadCandidates(query);
            return;
        }

        _rowIds.Clear();
        _table.Find(key, _rowIds);
        foreach (var rowId in _rowIds)
        {
            query.Add(requestId);
            query.Add(rowId);
            query.Add(messageId);
            ReadCandidates(query);
        }
    }

    private void ReadCandidates(RawStatement query)
    {
        while (query.Read())
            _candidates.Add(new Candidate(query.GetInt64(0), query.GetInt64(1) != 0, query.GetInt64(2) != 0, query.GetInt64(3), query.GetInt64(4) != 0));
    }

    /// <summary>True when a Codex usage event with the same time, model and tokens is stored (a fork's copied history).</summary>
    private bool IsCodexDuplicate(ulong key, long? ts, string? model, ModelCallRecord call)
    {
        if (_table is null)
            return Exists(_codexDuplicate, null, ts, model, call);

        _rowIds.Clear();
        _table.Find(key, _rowIds);
        foreach (var rowId in _rowIds)
        {
            if (Exists(_codexDuplicate, rowId, ts, model, call))
                return true;
        }

        return false;
    }

    /// <summary>True when a Codex usage event of the same session reaching the same cumulative total is stored (another copy of the rollout).</summary>
    private bool IsSameCodexUsage(ulong key, string usageKey)
    {
        var query = _codexSameUsage;
        if (_table is null)
        {
            query.Add(usageKey);
            return Drain(query);
        }

        _rowIds.Clear();
        _table.Find(key, _rowIds);
        foreach (var rowId in _rowIds)
        {
            query.Add(rowId);
            query.Add(usageKey);
            if (Drain(query))
                return true;
        }

        return false;
    }

    private static bool Drain(RawStatement query)
    {
        var found = false;
        while (query.Read())
            found = true;
        return found;
    }

    private static bool Exists(RawStatement query, long? rowId, long? ts, string? model, ModelCallRecord call)
    {
        if (rowId is { } id)
            query.Add(id);
        query.Add(ts);
        query.Add(model);
        query.Add(call.InputTokens);
        query.Add(call.CacheReadTokens);
        query.Add(call.OutputTokens);
        query.Add(call.ReasoningOutputTokens);
        var found = false;
        while (query.Read())
            found = true;
        return found;
    }

    private void BindCall(RawStatement command, long sourceId, string? project, ModelCallRecord call, string? maskedMessageId, string? maskedRequestId)
    {
        command.Add(sourceId);
        command.Add(call.Source.Line);
        command.Add(Name(call.Provider));
        command.Add(_session.Mask(call.SessionId));
        command.Add(_agent.Mask(call.AgentId));
        command.Add(call.Sidechain);
        command.Add(_project.Mask(call.Folder ?? project));
        command.Add(call.Timestamp?.ToUnixTimeMilliseconds());
        command.Add(_model.Mask(call.Model));
        command.Add(call.ModelAssumed);
        command.Add(maskedMessageId);
        command.Add(maskedRequestId);
        command.Add(call.InputTokens);
        command.Add(call.OutputTokens);
        command.Add(call.CacheWrite5mTokens);
        command.Add(call.CacheWrite1hTokens);
        command.Add(call.CacheReadTokens);
        command.Add(call.ReasoningOutputTokens);
        command.Add(call.Fast);
        command.Add(call.CostUsd is { } cost ? (double)cost : null);
        BindTags(command, call.Tags);
        command.Add(call.Tags.Rehearsal);
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
        command.Add(tags.Arm);
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
        AgentProvider.Gemini => "gemini",
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

    /// <summary>A first ingest into an empty store writes without the bulk indexes and builds them before it commits.</summary>
    private bool BeginBulkIfEmpty()
    {
        using var probe = Prepare("SELECT NOT EXISTS (SELECT 1 FROM events) AND NOT EXISTS (SELECT 1 FROM model_calls)");
        if (Convert.ToInt64(probe.ExecuteScalar(), CultureInfo.InvariantCulture) != 1)
            return false;
        using var drop = Prepare(string.Concat(TelemetryStore.BulkIndexes.Select(i => $"DROP INDEX IF EXISTS {i.Name};")));
        drop.ExecuteNonQuery();
        return true;
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
        _claudeCandidates.Dispose();
        _codexDuplicate.Dispose();
        _codexSameUsage.Dispose();
        // A completed async method's state (and this writer in it) can outlive the ingest: let the table go now.
        _table = null;
        if (!_committed)
            _transaction.Rollback();
        _transaction.Dispose();
    }
}

using Fleet.Telemetry.Privacy;
using Fleet.Telemetry.Schema;
using Microsoft.Data.Sqlite;

namespace Fleet.Telemetry.Store;

/// <summary>Gates of one worker (or of the run, worker null) in the store.</summary>
public sealed record GateCount(string? Run, string? Fleet, string? Worker, long Gates, long ByPerson, long ByRule, long Pending, double WaitedSeconds);

/// <summary>Gates of one kind in the store.</summary>
public sealed record GateKindCount(string Kind, long Gates);

/// <summary>The <c>gates</c> table: one row per (run, gate id), written by upsert so a re-ingest adds nothing and a decided gate updates its pending row.</summary>
internal static class GateTable
{
    public static async Task<int> UpsertAsync(TelemetryStore store, IReadOnlyList<HumanGateRecord> gates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(gates);
        if (gates.Count == 0)
        {
            return 0;
        }

        return await store.WriteAndPublishAsync(ct => UpsertOnceAsync(store, gates, ct), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> UpsertOnceAsync(TelemetryStore store, IReadOnlyList<HumanGateRecord> gates, CancellationToken cancellationToken)
    {
        var connection = store.Connection;
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO gates(key, gate_id, kind, tool, asked, decision, decided_by, by_whom, rule, message, asked_at, decided_at, waited_ms, source, line, run, fleet, worker, iteration, issue, arm)
            VALUES ($key, $gate_id, $kind, $tool, $asked, $decision, $decided_by, $by_whom, $rule, $message, $asked_at, $decided_at, $waited_ms, $source, $line, $run, $fleet, $worker, $iteration, $issue, $arm)
            ON CONFLICT(key) DO UPDATE SET asked = excluded.asked, decision = excluded.decision, decided_by = excluded.decided_by, by_whom = excluded.by_whom,
              rule = excluded.rule, message = excluded.message, decided_at = excluded.decided_at, waited_ms = excluded.waited_ms
            WHERE gates.decision IS NOT excluded.decision OR gates.decided_at IS NOT excluded.decided_at OR gates.asked IS NOT excluded.asked
            """;
        var written = 0;
        foreach (var g in gates)
        {
            command.Parameters.Clear();
            Add(command, "$key", $"{g.Tags.Run}/{g.GateId}");
            Add(command, "$gate_id", g.GateId);
            Add(command, "$kind", g.GateKind);
            Add(command, "$tool", g.Tool);
            Add(command, "$asked", g.Asked);
            Add(command, "$decision", g.Decision);
            Add(command, "$decided_by", g.DecidedBy);
            Add(command, "$by_whom", g.By);
            Add(command, "$rule", g.Rule);
            Add(command, "$message", g.Message);
            Add(command, "$asked_at", g.Timestamp?.ToUnixTimeMilliseconds());
            Add(command, "$decided_at", g.DecidedAt?.ToUnixTimeMilliseconds());
            Add(command, "$waited_ms", g.WaitedMs);
            Add(command, "$source", g.Source.File);
            Add(command, "$line", g.Source.Line);
            Add(command, "$run", g.Tags.Run);
            Add(command, "$fleet", g.Tags.Fleet);
            Add(command, "$worker", g.Tags.Worker);
            Add(command, "$iteration", (long?)g.Tags.Iteration);
            Add(command, "$issue", g.Tags.Issue);
            Add(command, "$arm", g.Tags.Arm);
            written += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return written;
    }

    public static async Task<IReadOnlyList<GateCount>> CountByWorkerAsync(TelemetryStore store, string? run, CancellationToken cancellationToken)
    {
        await using var command = store.Connection.CreateCommand();
        command.CommandText = """
            SELECT run, fleet, worker, COUNT(*), COUNT(CASE WHEN decided_by = 'person' THEN 1 END), COUNT(CASE WHEN decided_by = 'rule' THEN 1 END), COUNT(CASE WHEN decision IS NULL THEN 1 END), COALESCE(SUM(waited_ms), 0)
            FROM gates WHERE ($run IS NULL OR run = $run) GROUP BY run, fleet, worker ORDER BY run, fleet, worker
            """;
        Add(command, "$run", run);
        var rows = new List<GateCount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new GateCount(
                Text(reader, 0), Text(reader, 1), Text(reader, 2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7) / 1000.0));
        }

        return rows;
    }

    public static async Task<IReadOnlyList<GateKindCount>> CountByKindAsync(TelemetryStore store, string? run, CancellationToken cancellationToken)
    {
        await using var command = store.Connection.CreateCommand();
        command.CommandText = "SELECT kind, COUNT(*) FROM gates WHERE ($run IS NULL OR run = $run) GROUP BY kind ORDER BY kind";
        Add(command, "$run", run);
        var rows = new List<GateKindCount>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new GateKindCount(reader.GetString(0), reader.GetInt64(1)));
        }

        return rows;
    }

    private static string? Text(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    /// <summary>Strings go through the secret masker first, whatever the privacy level (as every string the store writes).</summary>
    private static void Add(SqliteCommand command, string name, object? value) =>
        command.Parameters.AddWithValue(name, value is string s ? SecretMasker.Mask(s) : value ?? DBNull.Value);
}

using Fleet.Telemetry.Store;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Telemetry;

public sealed class RawStatementTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<object?[]>> RowsAsync(TelemetryStore store)
    {
        await using var command = store.Connection.CreateCommand();
        command.CommandText = "SELECT a, b, c FROM t ORDER BY rowid";
        await using var reader = await command.ExecuteReaderAsync(Ct).DefaultTimeout();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(Ct).DefaultTimeout())
            rows.Add([reader.IsDBNull(0) ? null : reader.GetValue(0), reader.IsDBNull(1) ? null : reader.GetValue(1), reader.IsDBNull(2) ? null : reader.GetValue(2)]);
        return rows;
    }

    [Fact]
    public async Task Repeated_text_is_the_same_string_while_the_bytes_stay_the_same_and_a_new_one_when_they_change()
    {
        using var dir = new TempDir();
        await using var store = await TelemetryStore.OpenAsync(dir.Combine("t.db"), Ct).DefaultTimeout();
        await TelemetryStore.ExecuteAsync(store.Connection, """
            CREATE TABLE t(a, b, c);
            INSERT INTO t VALUES ('gpt-5', 'x', 1), ('gpt-5', 'x', 2), ('gpt-5.1', 'x', 3), ('gpt-5', NULL, 4), ('gpt-5', 'x', 5), ('ünï', 'x', 6), ('ünï', 'x', 7);
            """, Ct).DefaultTimeout();
        var seen = new List<(string? A, string? B)>();
        using (var query = new RawStatement(store.Connection, "SELECT a, b FROM t ORDER BY c"))
        {
            while (query.Read())
                seen.Add((query.GetRepeatedText(0), query.GetRepeatedText(1)));
        }

        seen.Select(r => r.A).ShouldBe(["gpt-5", "gpt-5", "gpt-5.1", "gpt-5", "gpt-5", "ünï", "ünï"]);
        seen.Select(r => r.B).ShouldBe(["x", "x", "x", null, "x", "x", "x"]);
        ReferenceEquals(seen[0].A, seen[1].A).ShouldBeTrue();
        ReferenceEquals(seen[1].A, seen[3].A).ShouldBeFalse(); // another value came in between
        ReferenceEquals(seen[3].A, seen[4].A).ShouldBeTrue();
        ReferenceEquals(seen[5].A, seen[6].A).ShouldBeTrue();
        ReferenceEquals(seen[0].B, seen[2].B).ShouldBeTrue(); // each column has its own last value
    }

    [Fact]
    public async Task Store_connections_take_no_lock_around_each_call()
    {
        // Multi-thread mode (TelemetryStore): set before the process's first connection, so no connection gets a mutex.
        using var dir = new TempDir();
        await using var store = await TelemetryStore.OpenAsync(dir.Combine("t.db"), Ct).DefaultTimeout();
        RawStatement.HasConnectionMutex(store.Connection).ShouldBeFalse();
    }

    [Fact]
    public async Task A_parameter_that_turns_null_after_a_value_is_stored_as_null_not_as_the_previous_value()
    {
        using var dir = new TempDir();
        await using var store = await TelemetryStore.OpenAsync(dir.Combine("t.db"), Ct).DefaultTimeout();
        await TelemetryStore.ExecuteAsync(store.Connection, "CREATE TABLE t(a, b, c)", Ct).DefaultTimeout();

        using (var insert = new RawStatement(store.Connection, "INSERT INTO t(a, b, c) VALUES (?, ?, ?)"))
        {
            // Each row binds every parameter; a reset keeps the previous row's bindings, so a null must clear them.
            insert.Add("first");
            insert.Add((long?)1);
            insert.Add((double?)1.5);
            insert.Execute();
            insert.Add((string?)null);
            insert.Add((long?)null);
            insert.Add((double?)null);
            insert.Execute();
            insert.Add("tokens ünïcødé ✓ " + new string('x', 5000)); // longer than the reused text buffer
            insert.Add(7L);
            insert.Add((double?)null);
            insert.Execute();
            insert.Add("");
            insert.Add(true);
            insert.Add((double?)2.25);
            insert.Execute();
        }

        var rows = await RowsAsync(store);
        rows.Count.ShouldBe(4);
        rows[0].ShouldBe(["first", 1L, 1.5]);
        rows[1].ShouldBe([null, null, null]);
        rows[2].ShouldBe(["tokens ünïcødé ✓ " + new string('x', 5000), 7L, null]);
        rows[3].ShouldBe(["", 1L, 2.25]);
    }

    [Fact]
    public async Task A_row_with_a_parameter_left_unbound_is_refused_before_it_runs()
    {
        using var dir = new TempDir();
        await using var store = await TelemetryStore.OpenAsync(dir.Combine("t.db"), Ct).DefaultTimeout();
        await TelemetryStore.ExecuteAsync(store.Connection, "CREATE TABLE t(a, b, c)", Ct).DefaultTimeout();
        using var insert = new RawStatement(store.Connection, "INSERT INTO t(a, b, c) VALUES (?, ?, ?)");
        insert.Add(1L);
        insert.Add(2L);

        Should.Throw<InvalidOperationException>(() => insert.Execute()).Message.ShouldBe("2 of 3 parameters bound");
    }

    [Fact]
    public async Task A_failing_step_raises_the_database_message()
    {
        using var dir = new TempDir();
        await using var store = await TelemetryStore.OpenAsync(dir.Combine("t.db"), Ct).DefaultTimeout();
        await TelemetryStore.ExecuteAsync(store.Connection, "CREATE TABLE t(a NOT NULL, b, c)", Ct).DefaultTimeout();
        using var insert = new RawStatement(store.Connection, "INSERT INTO t(a, b, c) VALUES (?, ?, ?)");
        insert.Add((string?)null);
        insert.Add(2L);
        insert.Add(3L);

        Should.Throw<Microsoft.Data.Sqlite.SqliteException>(() => insert.Execute()).Message.ShouldContain("NOT NULL constraint failed: t.a");
    }
}

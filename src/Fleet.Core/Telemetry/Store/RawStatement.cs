using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Fleet.Telemetry.Store;

/// <summary>
/// A statement prepared once on the connection's own handle and rebound for each row, its parameters in the
/// order they appear in the SQL: each <c>Add</c> binds the next one, <see cref="Execute"/> checks that every
/// parameter was bound and starts the next row. Microsoft.Data.Sqlite looks every parameter up by name on
/// every execution; for the hundreds of thousands of rows of a large ingest that lookup was the writer's
/// main cost. Runs inside the connection's transaction. Binds what it is given: masking is the caller's.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly int _count;
    private int _next = 1;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
        _count = raw.sqlite3_bind_parameter_count(_statement);
    }

    public void Add(long value) => Check(raw.sqlite3_bind_int64(_statement, _next++, value));

    public void Add(bool value) => Add(value ? 1L : 0L);

    public void Add(long? value) =>
        Check(value is { } v ? raw.sqlite3_bind_int64(_statement, _next++, v) : raw.sqlite3_bind_null(_statement, _next++));

    public void Add(string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, _next++) : raw.sqlite3_bind_text(_statement, _next++, value));

    public void Add(double? value) =>
        Check(value is { } v ? raw.sqlite3_bind_double(_statement, _next++, v) : raw.sqlite3_bind_null(_statement, _next++));

    /// <summary>Runs the statement once with the row bound so far; returns the rowid of the last insert.</summary>
    public long Execute()
    {
        if (_next != _count + 1)
            throw new InvalidOperationException($"{_next - 1} of {_count} parameters bound");
        _next = 1;
        var rc = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (rc is not (raw.SQLITE_DONE or raw.SQLITE_ROW))
            Check(rc);
        return raw.sqlite3_last_insert_rowid(_db);
    }

    /// <summary>Runs the statement once and returns its first row's first column as an integer.</summary>
    public long ExecuteScalar()
    {
        if (_next != _count + 1)
            throw new InvalidOperationException($"{_next - 1} of {_count} parameters bound");
        _next = 1;
        var rc = raw.sqlite3_step(_statement);
        var value = rc == raw.SQLITE_ROW ? raw.sqlite3_column_int64(_statement, 0) : 0;
        raw.sqlite3_reset(_statement);
        if (rc is not (raw.SQLITE_DONE or raw.SQLITE_ROW))
            Check(rc);
        return rc == raw.SQLITE_ROW ? value : throw new InvalidOperationException("the statement returned no row");
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
    }

    public void Dispose() => _statement.Dispose();
}

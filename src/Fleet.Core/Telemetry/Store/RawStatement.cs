using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Fleet.Telemetry.Store;

/// <summary>
/// A statement prepared once on the connection's own handle and rebound by parameter index for each row.
/// Microsoft.Data.Sqlite looks every parameter up by name on every execution; for the hundreds of thousands
/// of rows of a large ingest that lookup was the writer's main cost. Runs inside the connection's transaction.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly Dictionary<string, int> _indexes = new(StringComparer.Ordinal);

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
        var count = raw.sqlite3_bind_parameter_count(_statement);
        for (var i = 1; i <= count; i++)
            _indexes[raw.sqlite3_bind_parameter_name(_statement, i).utf8_to_string()] = i;
    }

    public void Bind(string name, long value) => Check(raw.sqlite3_bind_int64(_statement, _indexes[name], value));

    public void Bind(string name, long? value) =>
        Check(value is { } v ? raw.sqlite3_bind_int64(_statement, _indexes[name], v) : raw.sqlite3_bind_null(_statement, _indexes[name]));

    public void Bind(string name, string? value) =>
        Check(value is null ? raw.sqlite3_bind_null(_statement, _indexes[name]) : raw.sqlite3_bind_text(_statement, _indexes[name], value));

    public void Bind(string name, double? value) =>
        Check(value is { } v ? raw.sqlite3_bind_double(_statement, _indexes[name], v) : raw.sqlite3_bind_null(_statement, _indexes[name]));

    public void Bind(string name, object? value)
    {
        var i = _indexes[name];
        var rc = value switch
        {
            null => raw.sqlite3_bind_null(_statement, i),
            string s => raw.sqlite3_bind_text(_statement, i, s),
            long l => raw.sqlite3_bind_int64(_statement, i, l),
            int n => raw.sqlite3_bind_int64(_statement, i, n),
            double d => raw.sqlite3_bind_double(_statement, i, d),
            _ => throw new ArgumentException($"cannot bind a {value.GetType().Name}", nameof(value)),
        };
        Check(rc);
    }

    /// <summary>Runs the statement once; returns the rowid of the last insert.</summary>
    public long Execute()
    {
        var rc = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (rc is not (raw.SQLITE_DONE or raw.SQLITE_ROW))
            Check(rc);
        return raw.sqlite3_last_insert_rowid(_db);
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
    }

    public void Dispose() => _statement.Dispose();
}

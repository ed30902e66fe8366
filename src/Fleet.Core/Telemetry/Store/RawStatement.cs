using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Fleet.Telemetry.Store;

/// <summary>
/// A statement prepared once on the connection's own handle and rebound for each row, its parameters in the
/// order they appear in the SQL: each <c>Add</c> binds the next one, <see cref="Execute"/> (or the first
/// <see cref="Read"/> of a query) checks that every parameter was bound and starts the next row. Runs inside
/// the connection's transaction, if any. Binds what it is given: masking is the caller's.
/// <para>
/// Why not <c>SqliteCommand</c>, nor even SQLitePCLRaw's <c>raw.sqlite3_bind_*</c>: a large ingest binds a few
/// million values. Microsoft.Data.Sqlite looks every parameter up by name on every execution, and SQLitePCLRaw
/// passes the statement as a SafeHandle (a reference count taken and dropped per call) and turns every string
/// into a new UTF-8 array. Here the binds go straight to the same native library with the raw handle, text is
/// encoded into one reused buffer, and a parameter that is null again is not bound again (a reset keeps the
/// bindings): most tag columns are null on every row. Reading rows back the same way costs a few nanoseconds a
/// column where a data reader costs tens (the usage report reads every model call).
/// </para>
/// </summary>
internal sealed partial class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly nint _handle;
    private readonly int _count;
    private readonly bool[] _bound;
    private byte[] _text = new byte[1024];
    private int _next = 1;
    private bool _reading;
    private (byte[] Bytes, string Text)?[]? _repeated;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
        _handle = _statement.DangerousGetHandle();
        _count = raw.sqlite3_bind_parameter_count(_statement);
        _bound = new bool[_count + 1];
    }

    public void Add(long value)
    {
        var index = _next++;
        _bound[index] = true;
        Check(Native.BindInt64(_handle, index, value));
    }

    public void Add(bool value) => Add(value ? 1L : 0L);

    public void Add(long? value)
    {
        if (value is { } v)
            Add(v);
        else
            AddNull();
    }

    public void Add(double? value)
    {
        if (value is not { } v)
        {
            AddNull();
            return;
        }

        var index = _next++;
        _bound[index] = true;
        Check(Native.BindDouble(_handle, index, v));
    }

    public unsafe void Add(string? value)
    {
        if (value is null)
        {
            AddNull();
            return;
        }

        var index = _next++;
        _bound[index] = true;
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_text.Length < max)
            _text = new byte[Math.Max(max, _text.Length * 2)];
        var length = Encoding.UTF8.GetBytes(value, _text);
        fixed (byte* text = _text)
            Check(Native.BindText(_handle, index, text, length, Native.Transient));
    }

    private void AddNull()
    {
        var index = _next++;
        if (!_bound[index])
            return;
        _bound[index] = false;
        Check(Native.BindNull(_handle, index));
    }

    /// <summary>Runs the statement once with the row bound so far; returns the rowid of the last insert.</summary>
    public long Execute()
    {
        var rc = Step();
        if (rc is not (raw.SQLITE_DONE or raw.SQLITE_ROW))
            Check(rc);
        return Native.LastInsertRowId(_db.DangerousGetHandle());
    }

    /// <summary>Runs the statement once and returns its first row's first column as an integer.</summary>
    public long ExecuteScalar()
    {
        RequireRow();
        var rc = Native.Step(_handle);
        var value = rc == raw.SQLITE_ROW ? Native.ColumnInt64(_handle, 0) : 0;
        _ = Native.Reset(_handle); // repeats the step's own result, checked below
        if (rc is not (raw.SQLITE_DONE or raw.SQLITE_ROW))
            Check(rc);
        return rc == raw.SQLITE_ROW ? value : throw new InvalidOperationException("the statement returned no row");
    }

    /// <summary>
    /// Steps a query: the first call runs it with the row bound so far, each call moves to the next result row;
    /// false once the rows are done (the statement is then reset for the next run).
    /// </summary>
    public bool Read()
    {
        if (!_reading)
        {
            RequireRow();
            _reading = true;
        }

        var rc = Native.Step(_handle);
        if (rc == raw.SQLITE_ROW)
            return true;
        _reading = false;
        _ = Native.Reset(_handle); // repeats the step's own result, checked next
        if (rc != raw.SQLITE_DONE)
            Check(rc);
        return false;
    }

    public bool IsNull(int column) => Native.ColumnType(_handle, column) == raw.SQLITE_NULL;

    public long GetInt64(int column) => Native.ColumnInt64(_handle, column);

    public double GetDouble(int column) => Native.ColumnDouble(_handle, column);

    /// <summary>The column as text (null for NULL); numbers come back in SQLite's own text form.</summary>
    public unsafe string? GetText(int column)
    {
        var text = Native.ColumnText(_handle, column);
        return text is null ? null : Encoding.UTF8.GetString(text, Native.ColumnBytes(_handle, column));
    }

    /// <summary>
    /// <see cref="GetText"/> for a column whose value repeats row after row (a model, a provider): when the bytes are
    /// the last call's for this column, that call's string is returned again, so no string is decoded per row and a
    /// caller can tell an unchanged value by reference.
    /// </summary>
    public unsafe string? GetRepeatedText(int column)
    {
        var text = Native.ColumnText(_handle, column);
        if (text is null)
            return null;
        var bytes = new ReadOnlySpan<byte>(text, Native.ColumnBytes(_handle, column));
        _repeated ??= new (byte[] Bytes, string Text)?[Native.ColumnCount(_handle)];
        if (_repeated[column] is { } last && bytes.SequenceEqual(last.Bytes))
            return last.Text;
        var value = Encoding.UTF8.GetString(bytes);
        _repeated[column] = (bytes.ToArray(), value);
        return value;
    }

    private int Step()
    {
        RequireRow();
        var rc = Native.Step(_handle);
        _ = Native.Reset(_handle); // repeats the step's own result, which the caller checks
        return rc;
    }

    private void RequireRow()
    {
        if (_next != _count + 1)
            throw new InvalidOperationException($"{_next - 1} of {_count} parameters bound");
        _next = 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
            Fail(rc);
    }

    private void Fail(int rc) => throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc);

    public void Dispose() => _statement.Dispose();

    /// <summary>Whether SQLite locks <paramref name="connection"/> around each call (serialized mode), for tests.</summary>
    internal static bool HasConnectionMutex(SqliteConnection connection) =>
        Native.DbMutex((connection.Handle ?? throw new InvalidOperationException("the connection is not open")).DangerousGetHandle()) != 0;

    /// <summary>
    /// The calls of the row loop, on the native library SQLitePCLRaw's bundle loaded (same name, so the same
    /// file). Binds, resets and column reads neither block nor call back into managed code, so they skip the
    /// GC transition; the step, which does the I/O, does not.
    /// </summary>
    private static unsafe partial class Native
    {
        private const string Library = "e_sqlite3";

        /// <summary>SQLITE_TRANSIENT: SQLite copies the text before the call returns (the buffer is reused).</summary>
        public static readonly nint Transient = -1;

        [LibraryImport(Library, EntryPoint = "sqlite3_bind_int64")]
        [SuppressGCTransition]
        public static partial int BindInt64(nint statement, int index, long value);

        [LibraryImport(Library, EntryPoint = "sqlite3_bind_double")]
        [SuppressGCTransition]
        public static partial int BindDouble(nint statement, int index, double value);

        [LibraryImport(Library, EntryPoint = "sqlite3_bind_null")]
        [SuppressGCTransition]
        public static partial int BindNull(nint statement, int index);

        [LibraryImport(Library, EntryPoint = "sqlite3_bind_text")]
        [SuppressGCTransition]
        public static partial int BindText(nint statement, int index, byte* text, int length, nint destructor);

        [LibraryImport(Library, EntryPoint = "sqlite3_step")]
        public static partial int Step(nint statement);

        [LibraryImport(Library, EntryPoint = "sqlite3_reset")]
        [SuppressGCTransition]
        public static partial int Reset(nint statement);

        [LibraryImport(Library, EntryPoint = "sqlite3_column_int64")]
        [SuppressGCTransition]
        public static partial long ColumnInt64(nint statement, int column);

        [LibraryImport(Library, EntryPoint = "sqlite3_column_double")]
        [SuppressGCTransition]
        public static partial double ColumnDouble(nint statement, int column);

        [LibraryImport(Library, EntryPoint = "sqlite3_column_type")]
        [SuppressGCTransition]
        public static partial int ColumnType(nint statement, int column);

        [LibraryImport(Library, EntryPoint = "sqlite3_column_text")]
        [SuppressGCTransition]
        public static partial byte* ColumnText(nint statement, int column);

        [LibraryImport(Library, EntryPoint = "sqlite3_column_count")]
        [SuppressGCTransition]
        public static partial int ColumnCount(nint statement);

        [LibraryImport(Library, EntryPoint = "sqlite3_column_bytes")]
        [SuppressGCTransition]
        public static partial int ColumnBytes(nint statement, int column);

        [LibraryImport(Library, EntryPoint = "sqlite3_db_mutex")]
        public static partial nint DbMutex(nint db);

        [LibraryImport(Library, EntryPoint = "sqlite3_last_insert_rowid")]
        [SuppressGCTransition]
        public static partial long LastInsertRowId(nint db);
    }
}

using System.Globalization;
using Fleet.Paths;
using Fleet.Telemetry.Schema;
using Microsoft.Data.Sqlite;

namespace Fleet.Telemetry.Store;

/// <summary>One ingested file: how far it was read, how it was recognised, and the reader state to resume with.</summary>
internal sealed record SourceRow(
    long Id,
    string Path,
    string Format,
    int PrefixLength,
    string PrefixHash,
    long Size,
    long Offset,
    long Line,
    long Malformed,
    bool TruncatedTail,
    string? State);

/// <summary>
/// The flight recorder's embedded SQLite store: WAL, a busy timeout (the CLI reads while an orchestrator
/// writes), one row per record. Model calls have their own table, deduplicated across files on insert;
/// gates (fleet's own records) in <c>gates</c>, one row per gate of a run; every other record kind lives in <c>events</c>. Every string is passed through the secret masker before
/// it is bound to a statement.
/// </summary>
public sealed class TelemetryStore : IAsyncDisposable, IDisposable
{
    public const string FileName = "telemetry.db";

    /// <summary>
    /// The indexes reports, rereads and the writer's dedup lookups use, none of which the writer needs while it fills
    /// an empty store: a first ingest drops them and builds each once at the end (a sort), which costs less than
    /// inserting every row into every index as it comes (<see cref="StoreWriter"/>).
    /// </summary>
    internal static readonly IReadOnlyList<(string Name, string On)> BulkIndexes =
    [
        ("events_source", "events(source_id)"),
        ("model_calls_source", "model_calls(source_id)"),
        ("model_calls_ts", "model_calls(ts)"),
        ("model_calls_message", "model_calls(message_id) WHERE message_id IS NOT NULL"),
    ];

    internal static string CreateBulkIndexes => string.Concat(BulkIndexes.Select(i => $"CREATE INDEX IF NOT EXISTS {i.Name} ON {i.On};"));

    private const string Tables = """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sources(
          id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, format TEXT NOT NULL,
          prefix_len INTEGER NOT NULL, prefix_hash TEXT NOT NULL, size INTEGER NOT NULL,
          offset INTEGER NOT NULL, line INTEGER NOT NULL, malformed INTEGER NOT NULL, truncated INTEGER NOT NULL,
          state TEXT, project TEXT, run TEXT, fleet TEXT, worker TEXT, iteration INTEGER, issue TEXT, ingested_at TEXT);
        CREATE TABLE IF NOT EXISTS events(
          id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, line INTEGER NOT NULL, kind TEXT NOT NULL,
          provider TEXT NOT NULL, session_id TEXT, agent_id TEXT, sidechain INTEGER NOT NULL, ts INTEGER,
          name TEXT, tool_use_id TEXT, outcome TEXT, subject TEXT, count INTEGER, number INTEGER, text TEXT,
          run TEXT, fleet TEXT, worker TEXT, iteration INTEGER, issue TEXT);
        -- Only tool calls still waiting for their result: an index over every tool_use_id (random keys) cost more
        -- than any other part of a large ingest's writes, and the writer's outcome updates are its only reader.
        DROP INDEX IF EXISTS events_tool_use;
        -- No query of fleet's reads events by kind and time (counts by kind scan the table): the index cost a third of a
        -- first ingest's index builds.
        DROP INDEX IF EXISTS events_kind;
        CREATE INDEX IF NOT EXISTS events_pending ON events(tool_use_id) WHERE outcome = 'pending';
        CREATE TABLE IF NOT EXISTS model_calls(
          id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, line INTEGER NOT NULL, provider TEXT NOT NULL,
          session_id TEXT, agent_id TEXT, sidechain INTEGER NOT NULL, project TEXT, ts INTEGER, model TEXT,
          model_assumed INTEGER NOT NULL, message_id TEXT, request_id TEXT,
          input INTEGER NOT NULL, output INTEGER NOT NULL, cache_write_5m INTEGER NOT NULL, cache_write_1h INTEGER NOT NULL,
          cache_read INTEGER NOT NULL, reasoning INTEGER NOT NULL, fast INTEGER NOT NULL, reported_cost REAL,
          run TEXT, fleet TEXT, worker TEXT, iteration INTEGER, issue TEXT);
        CREATE TABLE IF NOT EXISTS gates(
          id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, gate_id TEXT NOT NULL, kind TEXT NOT NULL, tool TEXT, asked TEXT,
          decision TEXT, decided_by TEXT, by_whom TEXT, rule TEXT, message TEXT, asked_at INTEGER, decided_at INTEGER, waited_ms INTEGER,
          source TEXT NOT NULL, line INTEGER NOT NULL, run TEXT, fleet TEXT, worker TEXT, iteration INTEGER, issue TEXT);
        CREATE INDEX IF NOT EXISTS gates_run ON gates(run, worker);
        """;

    /// <summary>
    /// SQLite's multi-thread mode, set once before the process opens its first connection: every connection here
    /// is used by one flow at a time (as <see cref="SqliteConnection"/> requires anyway), so the library's default
    /// serialized mode, which locks and unlocks a connection mutex around every bind, step and read, only costs: a
    /// large first ingest took over three million of those lock pairs. <c>sqlite3_config</c> refuses once SQLite is
    /// initialized (SQLITE_MISUSE); the connections then stay serialized, which is only slower.
    /// </summary>
    private static readonly Lazy<int> ThreadingMode = new(() =>
    {
        SQLitePCL.Batteries_V2.Init();
        return SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MULTITHREAD);
    });

    private readonly SqliteConnection _connection;

    private TelemetryStore(string path, SqliteConnection connection)
    {
        Path = path;
        _connection = connection;
    }

    public string Path { get; }

    internal SqliteConnection Connection => _connection;

    /// <summary>The store's default place: <c>&lt;data dir&gt;/telemetry.db</c> (XDG data dir, or <c>FLEET_HOME</c>).</summary>
    public static string DefaultPath(UserDirs dirs)
    {
        ArgumentNullException.ThrowIfNull(dirs);
        return System.IO.Path.Combine(dirs.DataDir, FileName);
    }

    /// <summary>Opens (creating when absent) the store at <paramref name="path"/>.</summary>
    public static async Task<TelemetryStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        _ = ThreadingMode.Value;
        if (System.IO.Path.GetDirectoryName(full) is { } dir)
            Directory.CreateDirectory(dir);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // A 4 MB page cache: the writer appends (rowid order) and a first ingest builds its indexes by sorting, whose
            // runs are sized by the cache; 16 MB cost 16 MB more peak memory (twice at the end, cache and sort) and no
            // measurable CPU (BENCHMARKS.md). The file's pages stay in the OS page cache either way.
            await ExecuteAsync(connection, "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-4000;", cancellationToken).ConfigureAwait(false);
            // One transaction for the whole schema: each statement on its own was a commit of its own (a new store took 20 ms).
            await ExecuteAsync(connection, "BEGIN IMMEDIATE;" + Tables + CreateBulkIndexes + "COMMIT;", cancellationToken).ConfigureAwait(false);
            await using var version = connection.CreateCommand();
            version.CommandText = "INSERT INTO meta(key, value) VALUES ('schema_version', $v) ON CONFLICT(key) DO NOTHING; SELECT value FROM meta WHERE key = 'schema_version';";
            version.Parameters.AddWithValue("$v", TelemetrySchema.Version.ToString(CultureInfo.InvariantCulture));
            var stored = Convert.ToString(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            if (stored != TelemetrySchema.Version.ToString(CultureInfo.InvariantCulture))
                throw new InvalidDataException($"{full}: telemetry store schema version {stored}, this fleet reads version {TelemetrySchema.Version}; ingest into a new --db");
            return new TelemetryStore(full, connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    internal static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal async Task<Dictionary<string, SourceRow>> LoadSourcesAsync(CancellationToken cancellationToken)
    {
        var sources = new Dictionary<string, SourceRow>(StringComparer.Ordinal);
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, path, format, prefix_len, prefix_hash, size, offset, line, malformed, truncated, state FROM sources";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = new SourceRow(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetInt32(3),
                reader.GetString(4),
                reader.GetInt64(5),
                reader.GetInt64(6),
                reader.GetInt64(7),
                reader.GetInt64(8),
                reader.GetInt64(9) != 0,
                reader.IsDBNull(10) ? null : reader.GetString(10));
            sources[row.Path] = row;
        }

        return sources;
    }

    /// <summary>Counts per record kind (model calls included), for reports and tests.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountByKindAsync(CancellationToken cancellationToken)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT kind, COUNT(*) FROM events GROUP BY kind UNION ALL SELECT 'model_call', COUNT(*) FROM model_calls";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            counts[reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }

    /// <summary>Runs a checkpoint so the WAL is folded into the main file (tests scan the file's bytes).</summary>
    public Task CheckpointAsync(CancellationToken cancellationToken) =>
        ExecuteAsync(_connection, "PRAGMA wal_checkpoint(TRUNCATE);", cancellationToken);

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    public void Dispose() => _connection.Dispose();
}

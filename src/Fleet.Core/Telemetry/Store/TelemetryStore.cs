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

    /// <summary>The bulk indexes the writer's dedup lookups use (<see cref="StoreWriter.ClaudeCandidatesByMessage"/>, <see cref="StoreWriter.CodexDuplicateByTime"/>).</summary>
    internal static string CreateLookupIndexes => string.Concat(BulkIndexes.Where(i => i.Name is "model_calls_ts" or "model_calls_message").Select(i => $"CREATE INDEX IF NOT EXISTS {i.Name} ON {i.On};"));

    private const string Tables = """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sources(
          id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, format TEXT NOT NULL,
          prefix_len INTEGER NOT NULL, prefix_hash TEXT NOT NULL, size INTEGER NOT NULL,
          offset INTEGER NOT NULL, line INTEGER NOT NULL, malformed INTEGER NOT NULL, truncated INTEGER NOT NULL,
          state TEXT, project TEXT, run TEXT, fleet TEXT, worker TEXT, iteration INTEGER, issue TEXT, ingested_at TEXT, arm TEXT);
        CREATE TABLE IF NOT EXISTS events(
          id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL, line INTEGER NOT NULL, kind TEXT NOT NULL,
          provider TEXT NOT NULL, session_id TEXT, agent_id TEXT, sidechain INTEGER NOT NULL, ts INTEGER,
          name TEXT, tool_use_id TEXT, outcome TEXT, subject TEXT, count INTEGER, number INTEGER, text TEXT,
          run TEXT, fleet TEXT, worker TEXT, iteration INTEGER, issue TEXT, arm TEXT);
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
          run TEXT, fleet TEXT, worker TEXT, iteration INTEGER, issue TEXT, rehearsal INTEGER NOT NULL DEFAULT 0, arm TEXT);
        CREATE TABLE IF NOT EXISTS gates(
          id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, gate_id TEXT NOT NULL, kind TEXT NOT NULL, tool TEXT, asked TEXT,
          decision TEXT, decided_by TEXT, by_whom TEXT, rule TEXT, message TEXT, asked_at INTEGER, decided_at INTEGER, waited_ms INTEGER,
          source TEXT NOT NULL, line INTEGER NOT NULL, run TEXT, fleet TEXT, worker TEXT, iteration INTEGER, issue TEXT, arm TEXT);
        CREATE INDEX IF NOT EXISTS gates_run ON gates(run, worker);
        """;

    /// <summary>
    /// SQLite's multi-thread mode, set once before the process opens its first connection: every connection here
    /// is used by one flow at a time (as <see cref="SqliteConnection"/> requires anyway), so the library's default
    /// serialized mode, which locks and unlocks a connection mutex around every bind, step and read, only costs: a
    /// large first ingest took over three million of those lock pairs. <c>sqlite3_config</c> refuses once SQLite is
    /// initialized (SQLITE_MISUSE); the connections then stay serialized, which is only slower.
    /// </summary>
    /// <summary>Puts SQLite in multi-thread mode if nothing in this process has used SQLite yet (<see cref="ThreadingMode"/>).</summary>
    internal static int ConfigureSqlite() => ThreadingMode.Value;

    private static readonly Lazy<int> ThreadingMode = new(() =>
    {
        SQLitePCL.Batteries_V2.Init();
        return SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MULTITHREAD);
    });

    /// <summary>Settings of a published store: WAL and a busy timeout, so a report reads while an orchestrator writes.</summary>
    /// <remarks>
    /// A small page cache: the writer appends in rowid order and index builds sort in runs the cache sizes, so a larger
    /// one costs peak memory and saves no CPU (BENCHMARKS.md). The file's pages stay in the OS page cache either way.
    /// </remarks>
    private const string SharedSettings = "PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-4000;";

    /// <summary>
    /// Settings of a new store while it is built aside (<see cref="OpenAsync"/>): nobody else can open the file, so no
    /// locks are taken and released per transaction, no WAL is written and copied back, nothing is synced until it is
    /// published; the rollback journal is kept in memory, so a failed transaction still rolls back. Pages of 16 KB
    /// (the file is new, so its page size is still to choose): a first ingest appends rows, and fewer pages cost less
    /// CPU (BENCHMARKS.md).
    /// </summary>
    private const string BuildSettings = "PRAGMA page_size=16384; PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE; PRAGMA cache_size=-4000;";

    private const string BuildSuffix = ".new";

    /// <summary>The store's files: the database and the journals SQLite keeps beside it.</summary>
    public static IReadOnlyList<string> StoreFileSuffixes { get; } = ["", "-wal", "-shm", "-journal"];

    private SqliteConnection _connection;

    /// <summary>The file a new store is built in until it is published, or null.</summary>
    private string? _building;

    private TelemetryStore(string path, SqliteConnection connection, string? building)
    {
        Path = path;
        _connection = connection;
        _building = building;
    }

    public string Path { get; }

    internal SqliteConnection Connection => _connection;

    /// <summary>True while a new store is still being built beside its path (it appears there when <see cref="PublishAsync"/> runs).</summary>
    internal bool IsBuilding => _building is not null;

    /// <summary>The store's default place: <c>&lt;data dir&gt;/telemetry.db</c> (XDG data dir, or <c>FLEET_HOME</c>).</summary>
    public static string DefaultPath(UserDirs dirs)
    {
        ArgumentNullException.ThrowIfNull(dirs);
        return System.IO.Path.Combine(dirs.DataDir, FileName);
    }

    /// <summary>
    /// Opens the store at <paramref name="path"/>. A store that does not exist yet is built in a file of its own beside
    /// that path (<c>&lt;path&gt;.&lt;pid&gt;.&lt;random&gt;.new</c>) and moved into place, whole and synced, by
    /// <see cref="PublishAsync"/> when its first write commits (or when it is disposed): a first ingest writes the
    /// whole store once, where the WAL would have had it written twice, and a killed first ingest leaves no half-built
    /// store at the path (its abandoned file is removed by the next open).
    /// </summary>
    public static async Task<TelemetryStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        ConfigureSqlite();
        if (System.IO.Path.GetDirectoryName(full) is { } dir)
        {
            PrivateFiles.CreateMissingDirectory(dir);
            RemoveAbandonedBuilds(dir, System.IO.Path.GetFileName(full));
        }

        if (File.Exists(full))
        {
            // A store made before fleet set modes is tightened when opened; SQLite gives a new -wal/-shm the db's mode.
            foreach (var suffix in StoreFileSuffixes)
                PrivateFiles.Tighten(full + suffix);
            return new TelemetryStore(full, await OpenFileAsync(full, full, SharedSettings, cancellationToken).ConfigureAwait(false), null);
        }

        var building = $"{full}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{Guid.NewGuid():N}{BuildSuffix}";
        try
        {
            // SQLite creates a database 0644 less the umask; an empty file made 0600 first is a new database to it.
            PrivateFiles.Open(building, FileMode.CreateNew, FileAccess.Write, FileShare.None).Dispose();
            return new TelemetryStore(full, await OpenFileAsync(building, full, BuildSettings, cancellationToken).ConfigureAwait(false), building);
        }
        catch
        {
            File.Delete(building);
            throw;
        }
    }

    private static async Task<SqliteConnection> OpenFileAsync(string file, string shownAs, string settings, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = file,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, settings, cancellationToken).ConfigureAwait(false);
            // One transaction for the whole schema: each statement on its own would be a commit of its own.
            await ExecuteAsync(connection, "BEGIN IMMEDIATE;" + Tables + CreateBulkIndexes + "COMMIT;", cancellationToken).ConfigureAwait(false);
            await AddRehearsalColumnAsync(connection, cancellationToken).ConfigureAwait(false);
            await AddArmColumnsAsync(connection, cancellationToken).ConfigureAwait(false);
            await using var version = connection.CreateCommand();
            version.CommandText = "INSERT INTO meta(key, value) VALUES ('schema_version', $v) ON CONFLICT(key) DO NOTHING; SELECT value FROM meta WHERE key = 'schema_version';";
            version.Parameters.AddWithValue("$v", TelemetrySchema.Version.ToString(CultureInfo.InvariantCulture));
            var stored = Convert.ToString(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            if (stored != TelemetrySchema.Version.ToString(CultureInfo.InvariantCulture))
                throw new InvalidDataException($"{shownAs}: telemetry store schema version {stored}, this fleet reads version {TelemetrySchema.Version}; ingest into a new --db");
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs a write (an ingest, gates) and publishes a new store built aside (<see cref="PublishAsync"/>): when another
    /// process created the store meanwhile, the write runs again, into that store.
    /// </summary>
    internal async Task<T> WriteAndPublishAsync<T>(Func<CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        var result = await write(cancellationToken).ConfigureAwait(false);
        return await PublishAsync(cancellationToken).ConfigureAwait(false)
            ? result
            : await write(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves a store built aside into place (nothing to do for a store that was opened where it is) and reopens it
    /// there. False when another process created a store at the path meanwhile: this one's file is dropped and the
    /// connection now points at that store, so the caller writes again what it wrote (<see cref="WriteAndPublishAsync"/>).
    /// </summary>
    private async Task<bool> PublishAsync(CancellationToken cancellationToken)
    {
        if (_building is not { } building)
            return true;

        // WAL from here on, switched while nobody else can open the file (at its path, the switch was a journaled
        // transaction of four syncs). Then closed: the connection holds the file's exclusive lock, and what it wrote
        // must be on disk before the file gets its name (synchronous=OFF synced nothing).
        await ExecuteAsync(_connection, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        bool published;
        try
        {
            using (var file = new FileStream(building, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                file.Flush(flushToDisk: true);
            published = MoveWithoutReplacing(building, Path);
        }
        finally
        {
            _building = null;
            File.Delete(building);
        }

        _connection = await OpenFileAsync(Path, Path, SharedSettings, cancellationToken).ConfigureAwait(false);
        return published;
    }

    /// <summary>
    /// Gives <paramref name="source"/> the name <paramref name="destination"/> unless that name exists: link(2), which
    /// refuses an existing name atomically (File.Move checks, then renames over whatever appeared in between). Where
    /// the file system has no hard links, File.Move.
    /// </summary>
    private static bool MoveWithoutReplacing(string source, string destination)
    {
        if (!OperatingSystem.IsWindows())
        {
            var error = Processes.NativeMethods.HardLink(source, destination);
            if (error == 0)
                return true;
            if (error == Processes.NativeMethods.EEXIST)
                return false;
        }

        try
        {
            File.Move(source, destination, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(destination))
        {
            return false;
        }
    }

    /// <summary>Removes new stores a killed process left half-built beside <paramref name="name"/> (their process is gone).</summary>
    private static void RemoveAbandonedBuilds(string dir, string name)
    {
        if (OperatingSystem.IsWindows())
            return; // fleet's process checks are libc's
        foreach (var file in Directory.EnumerateFiles(dir, $"{name}.*{BuildSuffix}"))
        {
            var parts = System.IO.Path.GetFileName(file)[(name.Length + 1)..].Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            if (pid == Environment.ProcessId || Processes.NativeMethods.SendSignal(pid, 0) != Processes.NativeMethods.ESRCH)
                continue;
            try
            {
                File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another open is removing it too, or it is not ours to remove: either way it is not in the way.
            }
        }
    }

    /// <summary>A store made before rehearsal spend was tagged gets the column; its earlier rows count as real spend.</summary>
    private static async Task AddRehearsalColumnAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var probe = connection.CreateCommand();
        probe.CommandText = "SELECT COUNT(*) FROM pragma_table_info('model_calls') WHERE name = 'rehearsal'";
        if (Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
            await ExecuteAsync(connection, "ALTER TABLE model_calls ADD COLUMN rehearsal INTEGER NOT NULL DEFAULT 0", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A store made before runs were tagged with their arm gets the column in each table; its earlier rows have none.</summary>
    private static async Task AddArmColumnsAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        foreach (var table in new[] { "sources", "events", "model_calls", "gates" })
        {
            await using var probe = connection.CreateCommand();
            probe.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = 'arm'";
            if (Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
                await ExecuteAsync(connection, $"ALTER TABLE {table} ADD COLUMN arm TEXT", cancellationToken).ConfigureAwait(false);
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

    /// <summary>Closes the store; a new store that nothing was written to yet is published first (opening a store creates it).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (IsBuilding)
                await PublishAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

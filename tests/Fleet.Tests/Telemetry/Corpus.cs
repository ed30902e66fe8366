using System.Runtime.CompilerServices;
using Fleet.Telemetry;
using Fleet.Telemetry.Store;
using Microsoft.Data.Sqlite;

namespace Fleet.Tests.Telemetry;

/// <summary>
/// The shared corpus of real public transcripts, read in place (never copied into the repository): <c>FLEET_CORPUS_DIR</c>,
/// else <c>&lt;repo&gt;/../shared/corpus</c>, else the first <c>shared/corpus</c> above this source file. Tests skip loudly without it.
/// </summary>
internal static class Corpus
{
    private static readonly Lazy<string?> Root = new(() => Locate());

    /// <summary>The corpus folder, or null when there is none (<see cref="Dir"/> skips loudly then).</summary>
    public static string? Found => Root.Value;

    public static string Dir
    {
        get
        {
            if (Root.Value is { } dir)
                return dir;
            Assert.Skip("SKIPPED LOUDLY: the shared transcript corpus (../shared/corpus) was not found; set FLEET_CORPUS_DIR to run the telemetry corpus tests.");
            return "";
        }
    }

    public static string Claude(string name) => Path.Combine(Dir, "claude", name);

    public static string Codex(string name) => Directory.GetFiles(Path.Combine(Dir, "codex"), $"*{name}*.jsonl").Single();

    public static string Stream(string name) => Path.Combine(Dir, "stream-json", name);

    private static string? Locate([CallerFilePath] string here = "")
    {
        if (Environment.GetEnvironmentVariable("FLEET_CORPUS_DIR") is { Length: > 0 } env && Directory.Exists(env))
            return env;
        var beside = Path.GetFullPath(Path.Combine(Infrastructure.RepoPaths.Root, "..", "shared", "corpus"));
        if (Directory.Exists(Path.Combine(beside, "claude")))
            return beside;
        for (var dir = Path.GetDirectoryName(here); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, "shared", "corpus");
            if (Directory.Exists(Path.Combine(candidate, "claude")))
                return candidate;
        }

        return null;
    }
}

/// <summary>The whole corpus ingested once into a temp store, shared by the signal tests (read-only for them).</summary>
public sealed class CorpusStore : IAsyncLifetime
{
    private readonly Infrastructure.TempDir _dir = new("fleet-telemetry-");

    public string DbPath => _dir.Combine("telemetry.db");

    public IngestReport? Report { get; private set; }

    public bool Available { get; private set; }

    public async ValueTask InitializeAsync()
    {
        // The same search as the tests' own (Corpus.Found): a store built from another folder, or none, fails them all.
        if (Corpus.Found is not { } corpus)
            return;
        await using var store = await TelemetryStore.OpenAsync(DbPath, CancellationToken.None);
        Report = await new TelemetryIngestor(store, TimeProvider.System).IngestAsync([corpus], IngestOptions.Default, CancellationToken.None);
        Available = true;
    }

    public ValueTask DisposeAsync()
    {
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Runs a query against the corpus store; the first column of each row, as text.</summary>
    public List<string?> Query(string sql)
    {
        _ = Corpus.Dir; // skip loudly without the corpus
        using var connection = new SqliteConnection($"Data Source={DbPath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string?>();
        while (reader.Read())
            rows.Add(reader.IsDBNull(0) ? null : Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        return rows;
    }

    public long Scalar(string sql) => long.Parse(Query(sql).Single() ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A WHERE fragment selecting the rows read from the corpus file whose name contains <paramref name="name"/>.</summary>
    public static string From(string name) => $"source_id IN (SELECT id FROM sources WHERE path LIKE '%{name}%')";
}

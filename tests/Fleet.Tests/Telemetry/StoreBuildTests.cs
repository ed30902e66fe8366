using System.Diagnostics;
using Fleet.Telemetry;
using Fleet.Telemetry.Readers;
using Fleet.Telemetry.Schema;
using Fleet.Telemetry.Store;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Telemetry;

/// <summary>A new store is built in a file of its own beside its path and appears there whole (TelemetryStore.OpenAsync).</summary>
public sealed class StoreBuildTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string[] BuildFiles(TempDir dir) => Directory.GetFiles(dir.Path, "*.new");

    private static async Task<IReadOnlyDictionary<string, long>> CountsAsync(string db)
    {
        await using var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        store.IsBuilding.ShouldBeFalse();
        return await store.CountByKindAsync(Ct).DefaultTimeout();
    }

    [Fact]
    public async Task A_new_store_appears_at_its_path_only_when_its_first_ingest_commits_and_holds_everything_then()
    {
        using var dir = new TempDir();
        var db = dir.Combine("t.db");
        IngestReport report;
        await using (var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout())
        {
            store.IsBuilding.ShouldBeTrue();
            File.Exists(db).ShouldBeFalse();
            BuildFiles(dir).Length.ShouldBe(1);

            report = await new TelemetryIngestor(store, TimeProvider.System).IngestAsync([Corpus.Dir], IngestOptions.Default, Ct).SlowTimeout();
            store.IsBuilding.ShouldBeFalse();
            File.Exists(db).ShouldBeTrue();
            BuildFiles(dir).ShouldBeEmpty();
            // The connection now reads the store at its path.
            (await store.CountByKindAsync(Ct).DefaultTimeout())["model_call"].ShouldBe(report.ModelCalls);
        }

        var counts = await CountsAsync(db);
        counts["model_call"].ShouldBe(report.ModelCalls);
        counts.Where(c => c.Key != "model_call").Sum(c => c.Value).ShouldBe(report.Records);
        File.Exists(db + "-journal").ShouldBeFalse();
        await using var check = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        await using var pageSize = check.Connection.CreateCommand();
        pageSize.CommandText = "PRAGMA page_size";
        Convert.ToInt64(await pageSize.ExecuteScalarAsync(Ct).DefaultTimeout(), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(16384);
        await using var journal = check.Connection.CreateCommand();
        journal.CommandText = "PRAGMA journal_mode";
        (await journal.ExecuteScalarAsync(Ct).DefaultTimeout()).ShouldBe("wal");
    }

    [Fact]
    public async Task A_first_ingest_that_is_abandoned_leaves_an_empty_store_and_no_half_built_file()
    {
        using var dir = new TempDir();
        var db = dir.Combine("t.db");
        await using (var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout())
        {
            using var writer = await StoreWriter.BeginAsync(store, Ct).DefaultTimeout();
            var batch = new RecordBatch(
                [new InterruptRecord { Provider = AgentProvider.Claude, Source = new SourceRef("x.jsonl", 1), Reason = "user" }],
                []);
            writer.Write(writer.SaveSource(new SourceRow(0, "x.jsonl", "claude-transcript", 0, "", 1, 1, 1, 0, false, null), null, RunTags.None, DateTimeOffset.UnixEpoch), null, batch);
            // Disposed without a commit: rolled back, although the file was written without a WAL.
        }

        BuildFiles(dir).ShouldBeEmpty();
        (await CountsAsync(db)).Values.Sum().ShouldBe(0);
        await using var check = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        await using var sources = check.Connection.CreateCommand();
        sources.CommandText = "SELECT count(*) FROM sources";
        Convert.ToInt64(await sources.ExecuteScalarAsync(Ct).DefaultTimeout(), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(0);
    }

    [Fact]
    public async Task When_another_process_creates_the_store_during_a_first_ingest_the_files_go_into_that_store()
    {
        using var dir = new TempDir();
        var db = dir.Combine("t.db");
        var reference = await ReferenceCountsAsync(dir);
        await using (var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout())
        {
            // The other process: it finds no store either, and publishes first (with a gate already in it).
            await using (var other = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout())
                await GateTelemetry.WriteAsync(other, [Gate("g1")], Ct).DefaultTimeout();
            File.Exists(db).ShouldBeTrue();

            var report = await new TelemetryIngestor(store, TimeProvider.System).IngestAsync([Corpus.Dir], IngestOptions.Default, Ct).SlowTimeout();
            report.ModelCalls.ShouldBe(reference["model_call"]);
            store.IsBuilding.ShouldBeFalse();
        }

        BuildFiles(dir).ShouldBeEmpty();
        (await CountsAsync(db)).ShouldBe(reference);
        await using var check = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        (await GateTelemetry.CountByKindAsync(check, null, Ct).DefaultTimeout()).Sum(g => g.Gates).ShouldBe(1);
    }

    [Fact]
    public async Task Gates_written_into_a_store_that_another_process_published_first_go_into_that_store()
    {
        using var dir = new TempDir();
        var db = dir.Combine("t.db");
        await using (var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout())
        {
            await using (var other = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout())
                await GateTelemetry.WriteAsync(other, [Gate("g1")], Ct).DefaultTimeout();

            await GateTelemetry.WriteAsync(store, [Gate("g2"), Gate("g3")], Ct).DefaultTimeout();
        }

        BuildFiles(dir).ShouldBeEmpty();
        await using var check = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout();
        (await GateTelemetry.CountByKindAsync(check, null, Ct).DefaultTimeout()).Sum(g => g.Gates).ShouldBe(3);
    }

    [Fact]
    public async Task A_build_abandoned_by_a_process_that_is_gone_is_removed_by_the_next_open_and_a_live_ones_is_kept()
    {
        using var dir = new TempDir();
        var db = dir.Combine("t.db");
        using (var ended = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            await ended.WaitForExitAsync(Ct).DefaultTimeout();
            File.WriteAllText($"{db}.{ended.Id}.{Guid.NewGuid():N}.new", "half a store");
        }

        using var live = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            var liveBuild = $"{db}.{live.Id}.{Guid.NewGuid():N}.new";
            File.WriteAllText(liveBuild, "being built");
            var unrelated = dir.Combine("other.db.1.x.new");
            File.WriteAllText(unrelated, "not a build of t.db");

            await using (var _ = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout())
            {
            }

            BuildFiles(dir).Order().ShouldBe(new[] { liveBuild, unrelated }.Order());
        }
        finally
        {
            live.Kill();
        }
    }

    private static HumanGateRecord Gate(string id) => new()
    {
        Provider = AgentProvider.Claude,
        Source = new SourceRef("inbox.log", 1),
        GateId = id,
        GateKind = "permission",
        Tags = new RunTags("run-1", "f"),
    };

    private static async Task<IReadOnlyDictionary<string, long>> ReferenceCountsAsync(TempDir dir)
    {
        var db = dir.Combine("reference", "r.db");
        await using (var store = await TelemetryStore.OpenAsync(db, Ct).DefaultTimeout())
            await new TelemetryIngestor(store, TimeProvider.System).IngestAsync([Corpus.Dir], IngestOptions.Default, Ct).SlowTimeout();
        return await CountsAsync(db);
    }
}

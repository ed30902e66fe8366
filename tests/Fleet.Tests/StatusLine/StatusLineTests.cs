using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Gates;
using Fleet.State;
using Fleet.StatusLine;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.StatusLine;

/// <summary><c>fleet statusline</c>: the line under a Claude Code session.</summary>
public sealed class StatusLineTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // waiting: "fleet:gates" pairs.
    public static TheoryData<decimal?, decimal?, string[], string> Lines => new()
    {
        { 0.4249m, 3.1m, [], "$0.42 session · $3.10 today · no gates waiting" },
        { 0.5m, null, ["api:2"], "$0.50 session · 2 gates waiting (api): fleet inbox" },
        { null, null, ["api:1", "web:2"], "3 gates waiting (2 fleets): fleet inbox" },
        { null, 0m, ["api:1"], "$0.00 today · 1 gate waiting (api): fleet inbox" },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void The_line_says_the_sessions_cost_todays_and_the_gates_waiting(decimal? session, decimal? today, string[] waiting, string line) =>
        StatusLineText.Render(session, today, [.. waiting.Select(w => new WaitingFleet(w.Split(':')[0], int.Parse(w.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)))]).ShouldBe(line);

    [Theory]
    [InlineData("""{ "session_id": "s1", "cost": { "total_cost_usd": 0.0123 } }""", "s1", "0.0123")]
    [InlineData("""{ "session_id": "s1" }""", "s1", null)]
    [InlineData("""{ "cost": { "total_cost_usd": "a lot" } }""", null, null)]
    [InlineData("not json", null, null)]
    [InlineData("", null, null)]
    [InlineData("[1, 2]", null, null)]
    public void Claude_codes_input_is_read_for_what_it_has_and_odd_input_is_no_error(string text, string? session, string? cost)
    {
        var input = StatusLineInput.Parse(text);

        input.SessionId.ShouldBe(session);
        input.SessionCostUsd.ShouldBe(cost is null ? null : decimal.Parse(cost, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task The_real_command_reads_stdin_and_names_a_registered_fleet_with_an_open_gate()
    {
        var home = _dir.Combine("home");
        var root = _dir.Combine("fleet");
        var layout = new FleetLayout(root);
        Directory.CreateDirectory(layout.StateDir);
        await new Journal(layout.JournalFile, TimeProvider.System).AppendAsync(
            new JournalEntry { Type = JournalTypes.RunStarted, Run = "r-1", Fleet = "api", FleetType = "dag", SpawnMode = "background" }, TestContext.Current.CancellationToken);
        new FleetRegistry(new Fleet.Paths.UserDirs(name => name == "FLEET_HOME" ? home : null)).Register(root, "api", TimeProvider.System);
        var iteration = layout.IterationDir(1);
        Directory.CreateDirectory(GatePaths.Dir(iteration));
        var request = new GateRequest("api-1", "api", 1, "permission", "Bash", "rm -rf build", new JsonObject { ["command"] = "rm -rf build" }, "no rule matched", DateTimeOffset.UtcNow);
        await File.WriteAllTextAsync(GatePaths.Request(iteration, "api-1"), JsonSerializer.Serialize(request, GateJsonContext.Default.GateRequest), TestContext.Current.CancellationToken);

        var start = RepoPaths.FleetProcess(_dir.Path, "statusline");
        start.RedirectStandardInput = true;
        start.Environment["FLEET_HOME"] = home;
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync("""{ "session_id": "s1", "cost": { "total_cost_usd": 1.5 } }""");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).DefaultTimeout();

        (await stderr).ShouldBeEmpty();
        process.ExitCode.ShouldBe(0);
        (await stdout).ShouldBe("$1.50 session · 1 gate waiting (api): fleet inbox\n");
    }
}

using System.Diagnostics;
using System.Text.Json.Nodes;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rehearsal;
using Fleet.Tests.Telemetry;

namespace Fleet.Tests.Cli;

/// <summary>
/// The CLI as it ships on linux-x64: compiled ahead of time (no JIT, no reflection-made code), published by the test
/// script (<c>FLEET_NATIVE</c>). What a trimmed, precompiled build could lose (a serializer, a command, a native
/// library) shows here as a difference from the same command run in-process. The orchestrator and the worker shims
/// every launch test starts run this build too (<see cref="RepoPaths.FleetCommand"/>).
/// </summary>
public class NativeBuildTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_native_build_reports_the_same_usage_as_the_cli_in_process_on_the_shared_corpus()
    {
        RequireNative();
        using var dir = new TempDir();
        string[] transcripts = ["--path", Path.Combine(Corpus.Dir, "claude"), "--path", Path.Combine(Corpus.Dir, "codex"), "--path", Path.Combine(Corpus.Dir, "stream-json")];

        foreach (var by in new[] { "day", "model", "session" })
        {
            var nativeDb = dir.Combine($"native-{by}.db");
            var inProcessDb = dir.Combine($"in-process-{by}.db");
            var (code, stdout, stderr) = await RunAsync(dir.Path, ["usage", "--by", by, "--json", "--db", nativeDb, .. transcripts]);
            var (inProcessCode, inProcess) = await TestConsole.RunAsync(dir.Path, ["usage", "--by", by, "--json", "--db", inProcessDb, .. transcripts]);

            code.ShouldBe(0, stderr);
            inProcessCode.ShouldBe(0, inProcess.Stderr);
            var nativeReport = JsonNode.Parse(stdout)!.AsObject();
            var inProcessReport = JsonNode.Parse(inProcess.Stdout)!.AsObject();
            nativeReport["db"]!.GetValue<string>().ShouldBe(nativeDb);
            nativeReport.Remove("db");
            inProcessReport.Remove("db");
            nativeReport["totals"]!["total_tokens"]!.GetValue<long>().ShouldBeGreaterThan(0);
            nativeReport.ToJsonString().ShouldBe(inProcessReport.ToJsonString(), $"--by {by}");
        }
    }

    [Fact]
    public async Task The_native_build_prints_the_schemas_and_validates_as_the_cli_in_process_does()
    {
        RequireNative();
        using var dir = new TempDir();
        var example = Path.Combine(RepoPaths.Examples, "iterative");
        string[][] commands = [["schema"], ["telemetry", "schema"], ["validate", example], ["launch", example, "--dry-run"], ["usage", "--help"]];

        foreach (var args in commands)
        {
            var (code, stdout, stderr) = await RunAsync(dir.Path, args);
            var (inProcessCode, inProcess) = await TestConsole.RunAsync(dir.Path, args);

            code.ShouldBe(inProcessCode, stderr);
            // In-process, the root command is named after the test host.
            stdout.ShouldBe(inProcess.Stdout.Replace("Fleet.Tests usage", "fleet usage", StringComparison.Ordinal), string.Join(' ', args));
            stderr.ShouldBe(inProcess.Stderr, string.Join(' ', args));
        }
    }

    [Fact]
    public async Task The_native_build_refuses_bad_input_with_exit_2_and_no_stack_trace()
    {
        RequireNative();
        using var dir = new TempDir();
        dir.Write("bad/fleet.json", "{ \"fleet_name\": \"f\", \"type\": 3, \"workers\": [] }");

        var (code, stdout, stderr) = await RunAsync(dir.Path, ["validate", "bad"]);
        var (usageCode, _, usageErrors) = await RunAsync(dir.Path, ["usage", "--since", "yesterday", "--db", dir.Combine("t.db")]);

        code.ShouldBe(2);
        stdout.ShouldBeEmpty();
        stderr.ShouldContain("bad/fleet.json:1:30: $.type: unknown value 3");
        usageCode.ShouldBe(2);
        usageErrors.ShouldContain("--since");
        (stderr + usageErrors).ShouldNotContain(" at Fleet");
        File.Exists(dir.Combine("t.db")).ShouldBeFalse("nothing starts on bad input");
    }

    [Fact]
    public async Task The_native_build_runs_a_rehearsed_fleet_to_its_stop_rule_with_the_real_agent_clis()
    {
        RequireNative();
        // The pinned CLIs, wherever the native build was published (fleet looks for them on PATH, then beside itself).
        var path = string.Join(':', new[] { AgentCli.RequireOrSkip("claude"), AgentCli.RequireOrSkip("codex") }.Select(Path.GetDirectoryName).Distinct()) + ":" + Environment.GetEnvironmentVariable("PATH");
        using var dir = new TempDir();
        var root = dir.Combine("fleet");
        CopyDirectory(Path.Combine(RepoPaths.Examples, "iterative"), root);
        var home = dir.Combine("home");

        // FLEET_COMMAND unset: the native build starts its orchestrator and worker shims from its own path.
        var (code, stdout, stderr) = await RunAsync(dir.Path, ["launch", root, "--rehearse", "--wait", "--no-tmux"], new() { ["FLEET_HOME"] = home, ["PATH"] = path });
        var (statusCode, status, _) = await RunAsync(dir.Path, ["status", root, "--json"], new() { ["FLEET_HOME"] = home });

        code.ShouldBe(0, stdout + stderr);
        statusCode.ShouldBe(0);
        var json = JsonNode.Parse(status)!;
        json["state"]!.GetValue<string>().ShouldBe("done");
        json["verdicts"]!.AsArray().Select(v => v!["verdict"]!.GetValue<string>()).ShouldBe(["iterate", "lgtm", "lgtm", "lgtm"]);
        json["spent_usd"]!.GetValue<decimal>().ShouldBeGreaterThan(0m);
    }

    private static void RequireNative()
    {
        if (RepoPaths.Native is { } native)
        {
            File.Exists(native).ShouldBeTrue($"FLEET_NATIVE names {native}, which does not exist");
            return;
        }

        if (Environment.GetEnvironmentVariable("CI") == "true")
            throw new InvalidOperationException("FLEET_NATIVE is not set: scripts/test.sh publishes the native build and names it there");
        Assert.Skip("SKIPPED LOUDLY: no native build (FLEET_NATIVE); scripts/test.sh publishes one (dotnet publish src/Fleet.Cli -r linux-x64).");
    }

    /// <summary>Runs the native build (<see cref="RequireNative"/> first) as its own process.</summary>
    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string workingDirectory, string[] args, Dictionary<string, string>? environment = null)
    {
        var psi = RepoPaths.FleetProcess(workingDirectory, args);
        psi.Environment.Remove("FLEET_COMMAND");
        foreach (var (name, value) in environment ?? [])
        {
            psi.Environment[name] = value;
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        try
        {
            await process.WaitForExitAsync(Ct).SlowTimeout();
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }

        return (process.ExitCode, await stdout.DefaultTimeout(), await stderr.DefaultTimeout());
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

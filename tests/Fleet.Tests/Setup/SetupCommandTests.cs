using System.Diagnostics;
using System.Text.Json;
using Fleet.Orchestration.Spawning;
using Fleet.Paths;
using Fleet.Rehearsal;
using Fleet.Setup;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Setup;

/// <summary><c>fleet setup</c>: the real program, the real npm and registry, a temporary XDG_DATA_HOME.</summary>
public sealed class SetupCommandTests : IDisposable
{
    // npm downloads two packages with native parts on the first run; later runs are served from npm's cache.
    private static readonly TimeSpan NpmBound = TimeSpan.FromMinutes(10);

    private readonly TempDir _dir = new("fleet-setup-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Fleet_setup_installs_the_pinned_clis_into_the_users_tools_folder_where_the_locator_finds_them_and_a_second_run_installs_nothing()
    {
        var npm = ToolProbe.FindOnPath("npm", Environment.GetEnvironmentVariable("PATH"));
        if (npm is null)
        {
            Assert.Skip("SKIPPED, NOT PASSED: npm is not on PATH (scripts/setup.sh installs it)");
        }

        var data = _dir.Combine("data");
        var first = await RunFleetAsync(data, "setup", "--json");

        first.Code.ShouldBe(0, first.Stderr);
        var tools = Path.Combine(data, "fleet", "tools");
        var bin = Path.Combine(tools, "node_modules", ".bin");
        using (var json = JsonDocument.Parse(first.Stdout))
        {
            var root = json.RootElement;
            root.GetProperty("tools_dir").GetString().ShouldBe(tools);
            root.GetProperty("bin").GetString().ShouldBe(bin);
            root.GetProperty("log").GetString().ShouldBe(Path.Combine(tools, "npm-install.log"));
            root.GetProperty("tools").EnumerateArray().Select(t => (t.GetProperty("name").GetString(), t.GetProperty("version").GetString(), t.GetProperty("path").GetString(), t.GetProperty("installed").GetBoolean()))
                .ShouldBe(AgentCliPins.All.Select(p => ((string?)p.Executable, (string?)p.Version, (string?)Path.Combine(bin, p.Executable), true)));
        }

        first.Stderr.ShouldContain($"fleet setup: installing {string.Join(", ", AgentCliPins.All.Select(p => p.Spec))} into {tools}");
        var dirs = new UserDirs(name => name == "XDG_DATA_HOME" ? data : null);
        var nowhere = Directory.CreateDirectory(_dir.Combine("nowhere")).FullName;
        foreach (var pin in AgentCliPins.All)
        {
            var found = AgentCliLocator.Find(pin.Executable, [nowhere], pathVariable: string.Empty, userBin: AgentCliLocator.UserBin(dirs));
            found.ShouldBe(Path.Combine(bin, pin.Executable));
            var probe = await ToolProbe.ProbeAsync(pin.Executable, found, Environment.GetEnvironmentVariable("PATH"), null, null, TestContext.Current.CancellationToken).SlowTimeout();
            probe.Version.ShouldNotBeNull(probe.Error).ShouldContain(pin.Version);
        }

        var second = await RunFleetAsync(data, "setup");

        second.Code.ShouldBe(0, second.Stderr);
        second.Stderr.ShouldBeEmpty();
        second.Stdout.ShouldContain($"claude  {AgentCliPins.VersionOf("claude")}  already installed  {Path.Combine(bin, "claude")}");
        second.Stdout.ShouldContain("nothing needs to go on PATH");
    }

    [Fact]
    public async Task Without_npm_fleet_setup_exits_2_and_says_to_install_nodejs()
    {
        var empty = Directory.CreateDirectory(_dir.Combine("empty-path")).FullName;

        var (code, console) = await TestConsole.RunAsync(_dir.Path, new Dictionary<string, string> { ["PATH"] = empty }, "setup");

        code.ShouldBe(2);
        console.Stderr.ShouldStartWith("fleet: npm was not found on PATH: fleet setup installs the agent CLIs with npm. Install Node.js 20 or newer");
        console.Stdout.ShouldBeEmpty();
        Directory.Exists(Path.Combine(_dir.Path, ".fleet-home", "tools")).ShouldBeFalse();
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_failing_npm_is_reported_with_the_tail_of_its_output_and_the_log_path_and_exit_1()
    {
        var fakeBin = Directory.CreateDirectory(_dir.Combine("bin")).FullName;
        // The error goes out first: the two pipes are read apart, so in the log it may come before the end of stdout.
        var npm = _dir.Write("bin/npm", "#!/bin/sh\necho 'npm error 404 Not Found' >&2\necho \"npm args: $*\"\ni=1; while [ $i -le 40 ]; do echo \"line $i\"; i=$((i+1)); done\nexit 1\n");
        File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var (code, console) = await TestConsole.RunAsync(_dir.Path, new Dictionary<string, string> { ["PATH"] = fakeBin + ":/usr/bin:/bin" }, "setup");

        code.ShouldBe(1);
        var tools = Path.Combine(_dir.Path, ".fleet-home", "tools");
        var log = Path.Combine(tools, "npm-install.log");
        console.Stderr.ShouldContain("fleet: npm install exited with 1; the end of its output:");
        console.Stderr.ShouldContain("npm error 404 Not Found");
        console.Stderr.ShouldContain("line 40");
        console.Stderr.ShouldNotContain("line 1\n");
        console.Stderr.ShouldEndWith($"the whole log: {log}\n");
        var logged = File.ReadAllText(log);
        logged.ShouldContain("line 1\n");

        // npm got one argv: the prefix and each exact pin as its own argument, no shell between.
        logged.ShouldContain($"npm args: install --prefix {tools} --save-exact --no-audit --no-fund --loglevel=error {string.Join(' ', AgentCliPins.All.Select(p => p.Spec))}");
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunFleetAsync(string dataHome, params string[] args)
    {
        var psi = RepoPaths.FleetProcess(_dir.Path, args);
        psi.Environment.Remove("FLEET_HOME");
        psi.Environment["XDG_DATA_HOME"] = dataHome;
        psi.Environment["XDG_STATE_HOME"] = _dir.Combine("state");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(NpmBound, TestContext.Current.CancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // only the process this test started, and its npm
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}

using System.Diagnostics;
using System.Text.Json;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary>
/// The README's install path from a fresh clone: the tool is built, packed and installed into a temporary tool path,
/// names the clone's git version, and the same command after a newer commit updates it.
/// </summary>
public sealed class InstallTests : IDisposable
{
    // Each install compiles the whole CLI (ahead of time on linux-x64); on a loaded CI machine that takes minutes.
    private static readonly TimeSpan InstallBound = TimeSpan.FromMinutes(20);

    private readonly TempDir _dir = new("fleet-install-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_fresh_clone_installs_with_the_readmes_command_and_after_a_newer_commit_the_same_command_updates_it()
    {
        // Two full native builds of a fresh clone: over 20 minutes on this loaded 2-core machine, so it runs on request.
        if (Environment.GetEnvironmentVariable("FLEET_INSTALL_TEST") != "1")
        {
            Assert.Skip("SKIPPED, NOT PASSED: the fresh-clone install test builds the tool twice; run it with FLEET_INSTALL_TEST=1");
        }

        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        readme.ShouldContain("\nbash scripts/install.sh ");
        readme.ShouldContain("\nexport PATH=\"$HOME/.local/bin:$PATH\" ");
        var clone = _dir.Combine("clone");
        (await RunAsync(_dir.Path, "git", "clone", "-q", RepoPaths.Root, clone)).Code.ShouldBe(0);
        var tools = _dir.Combine("tools");
        var fleet = Path.Combine(tools, "fleet");

        var first = await RunAsync(clone, "bash", "scripts/install.sh", "--tool-path", tools);

        first.Code.ShouldBe(0, first.Output);
        var version = await ExpectedVersionAsync(clone);
        (await RunAsync(_dir.Path, fleet, "--version")).Output.Trim().ShouldBe(version);
        first.Output.ShouldContain($"{tools} is not on your PATH");

        // The installed tool outside any source checkout: a missing agent CLI is fleet setup's to install.
        var doctor = await RunAsync(_dir.Path, fleet, ["doctor", "--json"], ("PATH", "/usr/bin:/bin"), ("XDG_DATA_HOME", _dir.Combine("data")));
        using (var json = JsonDocument.Parse(doctor.Stdout))
        {
            var claude = json.RootElement.GetProperty("tools").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "claude");
            claude.GetProperty("found").GetBoolean().ShouldBeFalse(doctor.Output);
            claude.GetProperty("install").GetString().ShouldBe("fleet setup");
        }

        (await RunAsync(clone, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "a newer commit")).Code.ShouldBe(0);
        var second = await RunAsync(clone, "bash", "scripts/install.sh", "--tool-path", tools);

        second.Code.ShouldBe(0, second.Output);
        var newer = await ExpectedVersionAsync(clone);
        newer.ShouldNotBe(version);
        (await RunAsync(_dir.Path, fleet, "--version")).Output.Trim().ShouldBe(newer);
    }

    /// <summary>What <c>fleet --version</c> should print for the clone's HEAD: scripts/version.sh's version and the commit.</summary>
    private static async Task<string> ExpectedVersionAsync(string clone) =>
        $"{(await RunAsync(clone, "bash", "scripts/version.sh")).Stdout.Trim()}+{(await RunAsync(clone, "git", "rev-parse", "HEAD")).Stdout.Trim()}";

    private static Task<(int Code, string Stdout, string Output)> RunAsync(string cwd, string program, params string[] args) => RunAsync(cwd, program, args, []);

    private static async Task<(int Code, string Stdout, string Output)> RunAsync(string cwd, string program, IEnumerable<string> args, params (string Name, string Value)[] environment)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        // The clone builds as a person's checkout would: none of the test run's own settings for the CLI it tests.
        psi.Environment.Remove("FLEET_NATIVE");
        psi.Environment.Remove("FLEET_HOME");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(InstallBound, TestContext.Current.CancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // only the process this test started, and its build
            throw;
        }

        var output = await stdout;
        var errors = await stderr;
        TestContext.Current.TestOutputHelper?.WriteLine($"$ {program} {string.Join(' ', psi.ArgumentList)}\n{output}{errors}");
        return (process.ExitCode, output, output + errors);
    }
}

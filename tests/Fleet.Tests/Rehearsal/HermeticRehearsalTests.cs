using System.Text.RegularExpressions;
using Fleet.Processes;
using Fleet.Tests.Infrastructure;
using Fleet.Validation;
using Fleet.Workers;

namespace Fleet.Tests.Rehearsal;

/// <summary>
/// A rehearsal reaches nothing beyond 127.0.0.1: the real claude, codex and gemini run as fleet workers (<c>fleet worker
/// --spec</c>, the shim and its agent) beside <c>fleet rehearse serve</c>, in a network namespace that has only
/// loopback, under <c>strace -f -e trace=connect</c>. Any connect to another address (a DNS server, github.com for
/// codex's plugin sync, an update or telemetry host) fails the test, whether or not it could have succeeded.
/// </summary>
public sealed partial class HermeticRehearsalTests : IDisposable
{
    private const int Port = 48123;

    private const string Script = """
        { "rules": [ { "worker": "*", "turns": [
            { "type": "shell", "command": "echo rehearsed > out.txt" },
            { "type": "text", "text": "Done." } ] } ] }
        """;

    private readonly TempDir _root = new("fleet-hermetic-");

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData("claude", "claude-sonnet-4-5")]
    [InlineData("codex", "gpt-5-codex")]
    [InlineData("gemini", "gemini-2.5-pro")]
    public async Task A_rehearsed_worker_connects_to_nothing_but_loopback(string provider, string model)
    {
        AgentCli.RequireOrSkip(provider);
        await RequireNamespaceAndStraceAsync();
        var script = _root.Combine("rehearsal.json");
        await File.WriteAllTextAsync(script, Script, TestContext.Current.CancellationToken);
        var json = $$"""
            { "fleet_name": "sealed", "type": "dag", "config": { "provider": "{{provider}}", "model": "{{model}}" },
              "gates": { "allow": ["Bash(echo:*)"] },
              "workers": [ { "id": "w", "type": "code-run", "task": "Do the scripted work." } ] }
            """;
        var fleet = FleetValidator.Validate(json, "fleet.json", _root.Path).Fleet ?? throw new InvalidOperationException("fleet.json does not validate");
        var spec = await WorkerPreparation.PrepareAsync(fleet, "w", 1, new WorkerRunOptions(new Uri($"http://127.0.0.1:{Port}"), ToolSearchDirs: [RepoPaths.Root]), null, TestContext.Current.CancellationToken);
        var specFile = _root.Combine("w.spec.json");
        await spec.WriteAsync(specFile, TestContext.Current.CancellationToken);
        var trace = _root.Combine("connect.trace");

        var fleetArgv = string.Join(' ', RepoPaths.FleetArgv.Select(Quote));
        var inside = $"""
            set -e
            ip link set lo up
            {fleetArgv} rehearse serve --port {Port} --script {Quote(script)} > {Quote(_root.Combine("serve.log"))} 2>&1 &
            server=$!
            for i in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/{Port}) 2>/dev/null && break; sleep 0.1; done
            strace -f -qq -e trace=connect -o {Quote(trace)} {fleetArgv} worker --spec {Quote(specFile)} > {Quote(_root.Combine("worker.view"))} 2>&1 || true
            kill $server
            """;
        var run = await new CommandRunner("unshare").WithArguments(["-n", "--", "bash", "-c", inside]).WithTimeout(TestTimeouts.Slow).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine($"unshare exit {run.ExitCode}\n{run.Stderr}\n{ReadOrEmpty(_root.Combine("worker.view"))}");

        var record = await WorkerExitRecord.TryReadAsync(spec.IterationDir, "w", TestContext.Current.CancellationToken);
        record.ShouldNotBeNull(ReadOrEmpty(_root.Combine("worker.view")));
        record.Outcome.ShouldBe(WorkerOutcome.Succeeded, record.Error);
        File.ReadAllText(_root.Combine("out.txt")).ShouldBe("rehearsed\n");
        var lines = File.ReadAllLines(trace);
        lines.ShouldContain(l => l.Contains($"htons({Port})", StringComparison.Ordinal), "the trace saw the model calls");
        lines.Where(Escapes).ShouldBeEmpty();
    }

    /// <summary>A connect to an internet address other than loopback (Unix sockets and netlink are local).</summary>
    internal static bool Escapes(string line)
    {
        var m = InetConnect().Match(line);
        return m.Success && m.Groups["addr"].Value is not ("127.0.0.1" or "::1" or "::ffff:127.0.0.1");
    }

    [Theory]
    [InlineData("""123 connect(7, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0""", true)]
    [InlineData("""123 connect(9, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2606:4700::6810:84e5", &sin6_addr), sin6_scope_id=0}, 28) = -1 ENETUNREACH""", true)]
    [InlineData("""123 connect(7, {sa_family=AF_INET, sin_port=htons(48123), sin_addr=inet_addr("127.0.0.1")}, 16) = 0""", false)]
    [InlineData("""123 connect(5, {sa_family=AF_UNIX, sun_path=@"fleet-steer-0a1b"}, 110) = 0""", false)]
    [InlineData("""123 connect(9, {sa_family=AF_INET6, sin6_port=htons(48123), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0""", false)]
    public void Only_internet_connects_beyond_loopback_count_as_escapes(string line, bool escapes) =>
        Escapes(line).ShouldBe(escapes);

    private static async Task RequireNamespaceAndStraceAsync()
    {
        var unshare = await new CommandRunner("unshare").WithArguments(["-n", "--", "true"]).WithTimeout(TestTimeouts.Default).ExecuteBufferedAsync(TestContext.Current.CancellationToken);
        if (!unshare.Succeeded)
        {
            Assert.Skip($"SKIPPED, NOT PASSED: `unshare -n` is not permitted here (run as root, or where user namespaces are allowed): {unshare.Stderr.Trim()}");
        }

        foreach (var tool in new[] { "strace", "ip" })
        {
            if (Fleet.Orchestration.Spawning.ToolProbe.FindOnPath(tool, Environment.GetEnvironmentVariable("PATH")) is null)
            {
                Assert.Skip($"SKIPPED, NOT PASSED: {tool} is missing (scripts/setup.sh installs it).");
            }
        }
    }

    private static string ReadOrEmpty(string path) => File.Exists(path) ? File.ReadAllText(path) : string.Empty;

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex("""connect\(\d+, \{sa_family=AF_INET6?, .*?(?:inet_addr\("(?<addr>[^"]+)"\)|inet_pton\(AF_INET6, "(?<addr>[^"]+)")""")]
    private static partial Regex InetConnect();
}

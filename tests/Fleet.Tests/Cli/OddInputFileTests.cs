using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary>
/// Every file fleet reads, when it is a FIFO, a socket, a device, a folder, a dangling link or a link loop: exit 2 at
/// once, the file and what it is named, nothing started. Through the real command tree; a hang fails the test.
/// </summary>
public sealed class OddInputFileTests : IDisposable
{
    private const string Fleet = """
        { "fleet_name": "odd", "type": "dag", "config": { "provider": "command" }, "workers": [
          { "id": "a", "type": "code-run", "command": ["true"] } ] }
        """;

    // A hang (a blocked open of a FIFO, an endless read of a device) must fail the test, not the run.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

    private readonly TempDir _dir = new("fleet-odd-");

    public OddInputFileTests() => _dir.Write("fleet/fleet.json", Fleet);

    public void Dispose() => _dir.Dispose();

    private string Root => _dir.Combine("fleet");

    public static TheoryData<string, string> Kinds => new()
    {
        { "fifo", "a named pipe (FIFO)" },
        { "socket", "a socket" },
        { "device", "a character device" },
        { "folder", "a folder" },
        { "dangling", "a symbolic link to nothing (dangling)" },
        { "loop", "a symbolic link loop" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_odd_fleet_json_exits_2_naming_it_for_validate_launch_and_dry_run_and_starts_nothing(string kind, string described)
    {
        File.Delete(Path.Combine(Root, "fleet.json"));
        using var odd = Make(kind, Path.Combine(Root, "fleet.json"));

        foreach (var args in new[] { new[] { "validate", "fleet" }, ["launch", "fleet", "--no-tmux"], ["launch", "fleet", "--dry-run"] })
        {
            var (code, console) = await FleetAsync(args);

            code.ShouldBe(2, $"{string.Join(' ', args)}: {console.Stderr}");
            console.Stderr.ShouldContain($"fleet/fleet.json is {described}, not a regular file");
            NothingStarted();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_odd_prompt_md_is_a_validation_error_naming_it_and_nothing_starts(string kind, string described)
    {
        Directory.CreateDirectory(Path.Combine(Root, "workers", "a"));
        using var odd = Make(kind, Path.Combine(Root, "workers", "a", "prompt.md"));

        foreach (var args in new[] { new[] { "validate", "fleet" }, ["launch", "fleet", "--no-tmux"], ["launch", "fleet", "--dry-run"] })
        {
            var (code, console) = await FleetAsync(args);

            code.ShouldBe(2, $"{string.Join(' ', args)}: {console.Stderr}");
            console.Stderr.ShouldContain($"fleet/fleet.json:2:3: $.workers[0]: worker \"a\"'s brief fleet/workers/a/prompt.md is {described}, not a regular file");
            NothingStarted();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_odd_gates_json_is_a_validation_error_naming_it_and_nothing_starts(string kind, string described)
    {
        Directory.CreateDirectory(Path.Combine(Root, ".fleet"));
        using var odd = Make(kind, Path.Combine(Root, ".fleet", "gates.json"));

        foreach (var args in new[] { new[] { "validate", "fleet" }, ["launch", "fleet", "--no-tmux"], ["launch", "fleet", "--dry-run"] })
        {
            var (code, console) = await FleetAsync(args);

            code.ShouldBe(2, $"{string.Join(' ', args)}: {console.Stderr}");
            console.Stderr.ShouldContain($"fleet/.fleet/gates.json:1:1: $: fleet/.fleet/gates.json is {described}, not a regular file");
            NothingStarted();
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_odd_rehearsal_json_or_preconditions_json_stops_launch_and_dry_run_with_exit_2(string kind, string described)
    {
        using (var odd = Make(kind, Path.Combine(Root, "rehearsal.json")))
        {
            foreach (var args in new[] { new[] { "launch", "fleet", "--rehearse", "--no-tmux" }, ["launch", "fleet", "--rehearse", "--dry-run"] })
            {
                var (code, console) = await FleetAsync(args);

                code.ShouldBe(2, $"{string.Join(' ', args)}: {console.Stderr}");
                console.Stderr.ShouldContain($"{Path.Combine(Root, "rehearsal.json")} is {described}, not a regular file; nothing was started");
                NothingStarted();
            }
        }

        Remove(Path.Combine(Root, "rehearsal.json"));
        Directory.CreateDirectory(Path.Combine(Root, ".fleet"));
        using var preconditions = Make(kind, Path.Combine(Root, ".fleet", "preconditions.json"));
        foreach (var args in new[] { new[] { "launch", "fleet", "--no-tmux" }, ["launch", "fleet", "--dry-run"] })
        {
            var (code, console) = await FleetAsync(args);

            code.ShouldBe(2, $"{string.Join(' ', args)}: {console.Stderr}");
            console.Stderr.ShouldContain($".fleet/preconditions.json is {described}, not a regular file; nothing was started");
            NothingStarted();
        }
    }

    [Fact]
    public async Task An_invalid_utf8_byte_in_fleet_json_is_an_error_at_its_line_and_column()
    {
        var bytes = Encoding.UTF8.GetBytes(Fleet.Replace("\"odd\"", "\"od\u00e9X\"", StringComparison.Ordinal));
        var at = Array.IndexOf(bytes, (byte)'X');
        bytes[at] = 0xFF;
        File.WriteAllBytes(Path.Combine(Root, "fleet.json"), bytes);

        var (code, console) = await FleetAsync("validate", "fleet");

        code.ShouldBe(2);
        console.Stderr.ShouldBe("fleet/fleet.json:1:21: $: invalid UTF-8 (byte 0xFF); save the file as UTF-8\nfleet/fleet.json: 1 error, 0 warnings\n");
    }

    [Fact]
    public async Task An_invalid_utf8_byte_in_a_prompt_md_is_an_error_at_its_line_and_column_and_nothing_starts()
    {
        Directory.CreateDirectory(Path.Combine(Root, "workers", "a"));
        File.WriteAllBytes(Path.Combine(Root, "workers", "a", "prompt.md"), [.. "# Brief\nfix "u8, 0xC3, 0x28, .. " it\n"u8]);

        var (code, console) = await FleetAsync("launch", "fleet", "--no-tmux");

        code.ShouldBe(2);
        console.Stderr.ShouldContain("fleet/workers/a/prompt.md:2:5: $: invalid UTF-8 (byte 0xC3); save the file as UTF-8");
        NothingStarted();
    }

    [Theory]
    [InlineData("{ROOT}", 0, "unknown placeholder {ROOT} (placeholders are lower case: did you mean {root}?)")]
    [InlineData("out-{iteration", 4, "unclosed placeholder {iteration: close it with }")]
    [InlineData("--to={unknown}", 5, "unknown placeholder {unknown}; known: {iteration}, {prompt_file}, {root}, {worker}")]
    public async Task A_placeholder_that_is_not_one_of_the_documented_set_is_a_validation_error_at_its_line_and_column(string arg, int index, string message)
    {
        _dir.Write("fleet/fleet.json", Fleet.Replace("[\"true\"]", $"[\"echo\", \"{arg}\"]", StringComparison.Ordinal));

        var (code, console) = await FleetAsync("launch", "fleet", "--dry-run");

        code.ShouldBe(2);
        console.Stderr.ShouldContain($"fleet/fleet.json:2:{57 + index}: $.workers[0].command[1]: {message}");
    }

    [Fact]
    public async Task Doubled_braces_reach_the_argv_as_literal_braces()
    {
        _dir.Write("fleet/fleet.json", Fleet.Replace("[\"true\"]", "[\"echo\", \"{{root}} ${{HOME}} {}\", \"{worker}\"]", StringComparison.Ordinal));

        var (code, console) = await FleetAsync("launch", "fleet", "--dry-run");

        code.ShouldBe(0, console.Stderr);
        console.Stdout.ShouldContain("$ echo '{root} ${HOME} {}' a");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_db_that_is_not_a_regular_file_is_exit_2_naming_it(string kind, string described)
    {
        using var odd = Make(kind, _dir.Combine("store.db"));

        var (code, console) = await FleetAsync("usage", "--db", "store.db", "--no-ingest");

        code.ShouldBe(2, console.Stderr);
        console.Stderr.ShouldContain($"--db store.db: {_dir.Combine("store.db")} is {described}, not a telemetry store file");
    }

    private async Task<(int ExitCode, TestConsole Console)> FleetAsync(params string[] args)
    {
        var watch = Stopwatch.StartNew();
        var result = await Task.Run(() => TestConsole.RunAsync(_dir.Path, args), TestContext.Current.CancellationToken).WaitAsync(HangLimit, TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine($"fleet {string.Join(' ', args)}: exit {result.ExitCode} in {watch.ElapsedMilliseconds} ms\n{result.Console.Stderr}");
        return result;
    }

    private void NothingStarted()
    {
        File.Exists(Path.Combine(Root, ".fleet", "journal.jsonl")).ShouldBeFalse("a journal was written");
        File.Exists(Path.Combine(Root, ".fleet", "orchestrator.json")).ShouldBeFalse("an orchestrator was started");
        File.Exists(Path.Combine(Root, ".fleet", "launch.json")).ShouldBeFalse("the fleet was snapshotted for a run");
        var home = _dir.Combine(".fleet-home");
        (Directory.Exists(home) ? Directory.GetFiles(home, "*.json", SearchOption.AllDirectories) : []).ShouldBeEmpty("the fleet was registered");
    }

    /// <summary>Makes <paramref name="path"/> the odd kind of file; disposing removes it.</summary>
    private static Removal Make(string kind, string path)
    {
        Socket? socket = null;
        switch (kind)
        {
            case "fifo":
                using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path])) ?? throw new InvalidOperationException("mkfifo did not start"))
                {
                    mkfifo.WaitForExit(HangLimit).ShouldBeTrue();
                    mkfifo.ExitCode.ShouldBe(0);
                }

                break;
            case "socket":
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(path));
                break;
            case "device":
                File.CreateSymbolicLink(path, "/dev/zero");
                break;
            case "folder":
                Directory.CreateDirectory(path);
                break;
            case "dangling":
                File.CreateSymbolicLink(path, path + ".gone");
                break;
            case "loop":
                File.CreateSymbolicLink(path, path);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "no such odd file");
        }

        return new Removal(() =>
        {
            socket?.Dispose();
            Remove(path);
        });
    }

    private static void Remove(string path)
    {
        if (Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
        {
            Directory.Delete(path);
        }
        else if (Path.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            File.Delete(path);
        }
    }

    private sealed class Removal(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}

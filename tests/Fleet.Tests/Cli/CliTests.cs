using System.Diagnostics;
using System.Text.Json;
using Fleet.Cli;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Cli;

/// <summary>The real command tree, run in-process through the console seam: exit code, stdout, stderr.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<(int ExitCode, TestConsole Console)> Fleet(params string[] args) => TestConsole.RunAsync(_dir.Path, args);

    [Fact]
    public async Task Validate_prints_a_one_line_summary_and_exits_0_for_a_valid_fleet()
    {
        var (code, console) = await Fleet("validate", Path.Combine(RepoPaths.Examples, "iterative"));

        code.ShouldBe(0);
        console.Stdout.ShouldBe($"ok: {Path.Combine(RepoPaths.Examples, "iterative", "fleet.json")}: iterative fleet \"my-iterative-fleet\", 3 workers in 2 layers\n");
        console.Stderr.ShouldBeEmpty();
    }

    [Fact]
    public async Task Validate_reports_every_problem_on_stderr_and_exits_2()
    {
        _dir.Write("bad/fleet.json", "{\n  \"fleet_name\": \"f\",\n  \"type\": \"dag\",\n  \"workers\": [ { \"id\": \"a\", \"type\": \"coder\" } ],\n  \"extra\": 1\n}\n");

        var (code, console) = await Fleet("validate", "bad");

        code.ShouldBe(2);
        console.Stdout.ShouldBeEmpty();
        console.Stderr.ShouldBe(
            "bad/fleet.json:4:37: $.workers[0].type: unknown value \"coder\"; expected one of: code-run, reviewer; did you mean \"code-run\"?\n" +
            "bad/fleet.json:5:3: $.extra: unknown key \"extra\"\n" +
            "bad/fleet.json: 2 errors, 0 warnings\n");
    }

    [Fact]
    public async Task Json_output_writes_quotes_and_apostrophes_as_themselves()
    {
        _dir.Write("bad/fleet.json", "{ \"fleet_name\": \"f\", \"type\": \"dag\", \"workers\": [ { \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\", \"depends_on\": [\"nope\"] } ] }");

        var (code, console) = await Fleet("validate", "bad", "--json");

        code.ShouldBe(2);
        console.Stdout.ShouldContain("unknown worker \\\"nope\\\"");
        console.Stdout.ShouldNotContain("\\u0022");
        console.Stdout.ShouldNotContain("\\u0027");
    }

    [Fact]
    public async Task Status_of_a_fleet_never_launched_says_so_and_exits_2_and_of_a_folder_without_a_fleet_is_refused()
    {
        _dir.Write("ready/fleet.json", "{ \"fleet_name\": \"ready\", \"type\": \"dag\", \"workers\": [ { \"id\": \"a\", \"type\": \"code-run\", \"task\": \"t\" } ] }");
        Directory.CreateDirectory(_dir.Combine("empty"));

        var (notLaunched, ready) = await Fleet("status", "ready");
        var (noFleet, empty) = await Fleet("status", "empty");

        (notLaunched, noFleet).ShouldBe((2, 2));
        ready.Stdout.ShouldContain("not launched");
        empty.Stdout.ShouldBeEmpty();
        empty.Stderr.ShouldBe("fleet: empty: no fleet here: no fleet.json and no run (create one with: fleet init empty)\n");
    }

    [Fact]
    public async Task Validate_json_writes_only_json_to_stdout()
    {
        _dir.Write("bad/fleet.json", "{ \"fleet_name\": \"f\", \"type\": \"dag\", \"workers\": [] }");

        var (code, console) = await Fleet("validate", "bad", "--json");

        code.ShouldBe(2);
        using var doc = JsonDocument.Parse(console.Stdout);
        doc.RootElement.GetProperty("valid").GetBoolean().ShouldBeFalse();
        doc.RootElement.GetProperty("errors").GetInt32().ShouldBe(1);
        var diagnostic = doc.RootElement.GetProperty("diagnostics")[0];
        diagnostic.GetProperty("severity").GetString().ShouldBe("error");
        diagnostic.GetProperty("line").GetInt32().ShouldBe(1);
        diagnostic.GetProperty("column").GetInt32().ShouldBe(48);
        diagnostic.GetProperty("path").GetString().ShouldBe("$.workers");
        diagnostic.GetProperty("message").GetString().ShouldBe("must have at least 1 item");
    }

    [Fact]
    public async Task Validate_json_of_a_valid_fleet_includes_its_layers()
    {
        var (code, console) = await Fleet("validate", Path.Combine(RepoPaths.Examples, "dag-commands"), "--json");

        code.ShouldBe(0);
        using var doc = JsonDocument.Parse(console.Stdout);
        doc.RootElement.GetProperty("fleet").GetProperty("layers").EnumerateArray()
            .Select(layer => string.Join(",", layer.EnumerateArray().Select(id => id.GetString())))
            .ShouldBe(["fetch", "lint,test", "report"]);
    }

    [Fact]
    public async Task Validate_of_a_missing_path_is_a_usage_error_naming_the_path()
    {
        var (code, console) = await Fleet("validate", "nowhere");

        code.ShouldBe(2);
        console.Stderr.ShouldBe("fleet: nowhere: no such file or folder\n");
    }

    [Theory]
    [InlineData("dag", "claude")]
    [InlineData("dag", "codex")]
    [InlineData("dag", "command")]
    [InlineData("iterative", "claude")]
    [InlineData("iterative", "codex")]
    [InlineData("iterative", "command")]
    [InlineData("worktree", "claude")]
    [InlineData("worktree", "codex")]
    [InlineData("worktree", "command")]
    public async Task Init_writes_a_fleet_that_validates_without_warnings(string type, string provider)
    {
        var (initCode, init) = await Fleet("init", "My Fleet", "--type", type, "--provider", provider);
        initCode.ShouldBe(0, init.Stderr);

        var (code, console) = await Fleet("validate", "My Fleet");

        code.ShouldBe(0, console.Stderr);
        console.Stderr.ShouldBeEmpty();
        console.Stdout.ShouldStartWith($"ok: My Fleet/fleet.json: {type} fleet \"my-fleet\"");
    }

    [Fact]
    public async Task Init_writes_the_schema_beside_the_fleet_and_points_to_it()
    {
        await Fleet("init", "f", "--type", "iterative");

        File.ReadAllText(_dir.Combine("f", "fleet.schema.json")).ShouldBe(global::Fleet.Spec.FleetSchema.ToJson());
        using var doc = JsonDocument.Parse(File.ReadAllText(_dir.Combine("f", "fleet.json")));
        doc.RootElement.GetProperty("$schema").GetString().ShouldBe("./fleet.schema.json");
    }

    [Fact]
    public async Task Init_refuses_a_folder_that_already_has_a_fleet_and_changes_nothing()
    {
        _dir.Write("f/fleet.json", "mine");

        var (code, console) = await Fleet("init", "f", "--type", "dag");

        code.ShouldBe(2);
        console.Stderr.ShouldBe("fleet: f/fleet.json already exists; nothing was written (choose another folder, or edit it)\n");
        File.ReadAllText(_dir.Combine("f", "fleet.json")).ShouldBe("mine");
        Directory.Exists(_dir.Combine("f", "workers")).ShouldBeFalse();
    }

    [Fact]
    public async Task Init_rejects_an_unknown_type_with_exit_2()
    {
        var (code, console) = await Fleet("init", "f", "--type", "tree");

        code.ShouldBe(2);
        console.Stderr.ShouldContain("tree");
        Directory.Exists(_dir.Combine("f")).ShouldBeFalse();
    }

    [Fact]
    public async Task Schema_prints_the_published_schema_file()
    {
        var (code, console) = await Fleet("schema");

        code.ShouldBe(0);
        console.Stdout.ShouldBe(File.ReadAllText(Path.Combine(RepoPaths.Docs, "fleet.schema.json")));
    }

    [Fact]
    public async Task Dry_run_shows_layers_commands_and_stop_rules()
    {
        var root = CopyExample("iterative");

        var (code, console) = await Fleet("launch", root, "--dry-run");

        code.ShouldBe(0, console.Stderr);
        Golden.Match(console.Stdout.Replace(root, "<root>", StringComparison.Ordinal), "dry-run-iterative.txt");
    }

    [Theory]
    [InlineData("acceptEdits", "--approval-mode default", "gates: every tool call comes to fleet's gates; acceptEdits allows edits in the working directory that no rule matches")]
    [InlineData("bypassPermissions", "--approval-mode default", "gates: every tool call comes to fleet's gates; bypassPermissions allows what no rule matches, deny rules and destructive or opaque commands still stop")]
    [InlineData("manual", "--approval-mode default", "gates: every tool call comes to fleet's gates; what no rule allows asks a person")]
    [InlineData("plan", "--approval-mode plan", "gates: gemini --approval-mode plan: read-only tools only")]
    public async Task Dry_run_of_a_gemini_worker_says_it_runs_under_acp_and_what_its_permission_mode_lets_run_unasked(string mode, string argv, string gates)
    {
        _dir.Write($"g-{mode}/fleet.json", $$"""
            { "fleet_name": "g", "type": "dag", "config": { "provider": "gemini", "permission_mode": "{{mode}}" },
              "workers": [ { "id": "w", "type": "code-run", "task": "t" } ] }
            """);

        var (code, console) = await Fleet("launch", _dir.Combine($"g-{mode}"), "--dry-run");

        code.ShouldBe(0, console.Stderr);
        console.Stdout.ShouldContain($"gemini --acp --skip-trust {argv}");
        console.Stdout.ShouldContain("stdin: ACP (session/new or session/load, session/prompt with the brief)");
        console.Stdout.ShouldContain(gates);
    }

    [Fact]
    public async Task Dry_run_of_command_workers_shows_their_argv_with_placeholders_filled()
    {
        var root = CopyExample("dag-commands");

        var (code, console) = await Fleet("launch", root, "--dry-run");

        code.ShouldBe(0, console.Stderr);
        Golden.Match(console.Stdout.Replace(root, "<root>", StringComparison.Ordinal), "dry-run-dag-commands.txt");
    }

    [Fact]
    public async Task Dry_run_writes_nothing_in_the_fleet_root()
    {
        var root = CopyExample("worktree");
        var before = Snapshot(root);

        var (code, _) = await Fleet("launch", root, "--dry-run");
        var (jsonCode, json) = await Fleet("launch", root, "--dry-run", "--json");

        code.ShouldBe(0);
        jsonCode.ShouldBe(0);
        JsonDocument.Parse(json.Stdout).RootElement.GetProperty("workers").GetArrayLength().ShouldBe(2);
        Snapshot(root).ShouldBe(before);
    }

    [Fact]
    public async Task Dry_run_json_holds_each_workers_exact_argv()
    {
        var root = CopyExample("worktree");

        var (_, console) = await Fleet("launch", root, "--dry-run", "--json");

        using var doc = JsonDocument.Parse(console.Stdout);
        var argv = doc.RootElement.GetProperty("workers")[0].GetProperty("argv").EnumerateArray().Select(a => a.GetString()).ToList();
        // Codex runs under app-server: the brief and the worktree go over JSON-RPC (thread/start, turn/start), not in argv.
        argv.ShouldBe(["codex", "app-server", "-c", "model=\"gpt-5-codex\"", "-c", "model_reasoning_effort=\"medium\""]);
    }

    [Fact]
    public async Task Launch_of_an_invalid_fleet_starts_nothing_and_exits_2()
    {
        _dir.Write("bad/fleet.json", "{ \"fleet_name\": \"f\", \"type\": \"dag\" }");

        var (code, console) = await Fleet("launch", "bad", "--dry-run");

        code.ShouldBe(2);
        console.Stderr.ShouldBe("bad/fleet.json:1:1: $: missing required key \"workers\"\nbad/fleet.json: 1 error; nothing was started\n");
        Directory.Exists(_dir.Combine("bad", ".fleet")).ShouldBeFalse();
    }

    [Fact]
    public async Task Launching_a_worktree_fleet_outside_a_git_repository_starts_nothing_and_exits_2()
    {
        var root = CopyExample("worktree");

        var (code, console) = await Fleet("launch", root, "--no-tmux");

        code.ShouldBe(2);
        console.Stderr.ShouldBe($"fleet: a worktree fleet runs each task in a git worktree, but {root} is not inside a git repository (git init, and commit); nothing was started\n");
        Directory.Exists(Path.Combine(root, ".fleet")).ShouldBeFalse();
    }

    [Fact]
    public async Task Tmux_and_no_tmux_together_are_a_usage_error()
    {
        var (code, console) = await Fleet("launch", CopyExample("worktree"), "--tmux", "--no-tmux");

        code.ShouldBe(2);
        console.Stderr.ShouldContain("--tmux and --no-tmux contradict each other");
    }

    [Fact]
    public async Task An_unknown_command_is_a_usage_error()
    {
        var (code, console) = await Fleet("lunch");

        code.ShouldBe(2);
        console.Stderr.ShouldBe("fleet: Unrecognized command or argument 'lunch'. Did you mean 'launch'?\nRun 'fleet --help' for usage.\n");
    }

    [Fact]
    public async Task Help_is_available_on_every_command()
    {
        foreach (var command in new[] { "init", "validate", "schema", "launch" })
        {
            var (code, console) = await Fleet(command, "--help");
            code.ShouldBe(0);
            console.Stdout.ShouldContain("Usage:");
            console.Stdout.ShouldContain($" {command} ");
        }
    }

    [Fact]
    public async Task An_unexpected_exception_exits_4_with_one_line_naming_the_log_file()
    {
        using var console = new TestConsole(_dir.Path, new Dictionary<string, string> { ["FLEET_HOME"] = _dir.Combine("home") });

        var code = await FleetApp.RunAsync(["boom"], console, c =>
        {
            var root = FleetApp.BuildRootCommand(c);
            var boom = new System.CommandLine.Command("boom");
            boom.SetAction((_, _) => Task.FromException<int>(new InvalidOperationException("the disk fell off")));
            root.Subcommands.Add(boom);
            return root;
        }, TestContext.Current.CancellationToken).DefaultTimeout();

        code.ShouldBe(4);
        var logs = Directory.GetFiles(_dir.Combine("home", "logs"));
        logs.Length.ShouldBe(1);
        console.Stderr.ShouldBe($"fleet: internal error: the disk fell off (details in {logs[0]})\n");
        File.ReadAllText(logs[0]).ShouldContain("InvalidOperationException");
        File.ReadAllText(logs[0]).ShouldContain(" at ");
    }

    [Fact]
    public async Task The_real_binary_reports_a_bad_fleet_without_a_stack_trace()
    {
        _dir.Write("bad/fleet.json", "{ \"fleet_name\": \"f\", \"type\": 3, \"workers\": [] }");
        var psi = RepoPaths.FleetProcess(_dir.Path, "validate", "bad");

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).DefaultTimeout();

        process.ExitCode.ShouldBe(2);
        (await stdout.DefaultTimeout()).ShouldBeEmpty();
        var errors = await stderr.DefaultTimeout();
        errors.ShouldContain("bad/fleet.json:1:30: $.type: unknown value 3; expected one of: dag, iterative, worktree");
        errors.ShouldNotContain(" at Fleet");
    }

    private string CopyExample(string name)
    {
        var target = _dir.Combine(name);
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Examples, name), "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Path.Combine(RepoPaths.Examples, name), file);
            _dir.Write(Path.Combine(name, relative), File.ReadAllText(file));
        }

        return target;
    }

    private static List<string> Snapshot(string root) =>
        [.. Directory.GetFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => $"{Path.GetRelativePath(root, p)} {(File.Exists(p) ? new FileInfo(p).Length + "@" + File.GetLastWriteTimeUtc(p).Ticks : "dir")}")
            .Order(StringComparer.Ordinal)];
}

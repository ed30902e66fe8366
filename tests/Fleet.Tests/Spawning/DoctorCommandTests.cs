using System.Text.Json;
using Fleet.Cli;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Spawning;

public sealed class DoctorCommandTests : IDisposable
{
    private const string PlantedKey = "sk-ant-api03-PLANTED-SECRET-VALUE-0123456789-xyz";
    private const string PlantedOpenAiKey = "short-PLANTED";

    private readonly FakeBin _bin = new();
    private readonly TempDir _dir = new();

    public void Dispose()
    {
        _bin.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Doctor_json_reports_the_tools_the_launch_mode_and_only_masked_keys()
    {
        _bin.Script("tmux", "tmux 9.9z").Script("git", "git version 9.9.9").Real("sh").Real("setsid");

        var (code, console) = await DoctorAsync(new() { ["ANTHROPIC_API_KEY"] = PlantedKey, ["OPENAI_API_KEY"] = PlantedOpenAiKey }, "doctor", "--json");

        code.ShouldBe(0, console.Stderr);
        console.Stderr.ShouldBeEmpty();
        using var json = JsonDocument.Parse(console.Stdout);
        var root = json.RootElement;
        root.EnumerateObject().Select(p => p.Name).ShouldBe(["can_launch", "mode", "reason", "inside_tmux", "tools", "keys", "shared_agent_data", "notify", "codex_workers"]);
        root.GetProperty("shared_agent_data").GetArrayLength().ShouldBe(0);
        root.GetProperty("can_launch").GetBoolean().ShouldBeTrue();
        root.GetProperty("mode").GetString().ShouldBe("tmux");
        root.GetProperty("reason").GetString().ShouldBe("tmux 9.9z found");
        root.GetProperty("inside_tmux").GetBoolean().ShouldBeFalse();
        var tools = root.GetProperty("tools").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        tools.Keys.ShouldBe(["tmux", "git", "sh", "setsid", "claude", "codex", "gemini", "gh", "notify-send"]);
        tools["tmux"].EnumerateObject().Select(p => p.Name).ShouldBe(["name", "found", "path", "version", "error", "required", "install"]);
        tools["git"].GetProperty("version").GetString().ShouldBe("git version 9.9.9");
        tools["git"].GetProperty("required").GetBoolean().ShouldBeTrue();
        tools["setsid"].GetProperty("version").GetString()!.ShouldStartWith("setsid from util-linux");
        tools["gh"].GetProperty("found").GetBoolean().ShouldBeFalse();
        tools["gh"].GetProperty("install").GetString().ShouldBe("sudo apt-get install gh");
        var keys = root.GetProperty("keys").EnumerateArray().ToList();
        keys[0].GetProperty("name").GetString().ShouldBe("ANTHROPIC_API_KEY");
        keys[0].GetProperty("set").GetBoolean().ShouldBeTrue();
        keys[0].GetProperty("display").GetString().ShouldBe("set (sk-ant-…xyz masked)");
        keys[1].GetProperty("display").GetString().ShouldBe("set");
        keys[2].GetProperty("name").GetString().ShouldBe("GEMINI_API_KEY");
        keys[2].GetProperty("set").GetBoolean().ShouldBeFalse();
        console.Stdout.ShouldNotContain("PLANTED");
    }

    [Fact]
    public async Task Doctor_never_prints_a_keys_value_in_its_table()
    {
        _bin.Script("git", "git version 9.9.9").Real("sh").Real("setsid");

        var (_, console) = await DoctorAsync(new() { ["ANTHROPIC_API_KEY"] = PlantedKey, ["OPENAI_API_KEY"] = PlantedOpenAiKey, ["TMUX"] = "/tmp/tmux-0/default,1,0" }, "doctor");

        (console.Stdout + console.Stderr).ShouldNotContain("PLANTED");
        console.Stdout.ShouldContain("set (sk-ant-…xyz masked)");
        console.Stdout.ShouldContain("inside tmux");
    }

    [Fact]
    public async Task Doctor_without_git_exits_1_in_an_aligned_table_that_says_how_to_install_what_is_missing()
    {
        _bin.Real("sh").Script("setsid", "setsid from util-linux 2.38.1");

        var (code, console) = await DoctorAsync([], "doctor");

        code.ShouldBe(1);
        console.Stderr.ShouldBe("fleet: launch cannot work here: git missing\n");
        var lines = console.Stdout.TrimEnd('\n').Split('\n');
        lines.ShouldContain("tmux               missing                        optional; install: sudo apt-get install tmux");
        lines.ShouldContain("git                missing                        required; install: sudo apt-get install git");
        lines.ShouldContain("gh                 missing                        optional; install: sudo apt-get install gh");
        lines.ShouldContain("ANTHROPIC_API_KEY  not set");
        lines.ShouldContain($"sh                 {"works",-29}  {Path.Combine(_bin.Path, "sh")}");
        lines.ShouldContain("mode               background                     tmux not found on PATH: workers run in the background; their views are in iterations/N/<id>.shim.log");
        lines[^1].ShouldBe("launch cannot run here: install the missing required programs.");
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Doctor_warns_about_a_store_and_fleet_folders_others_can_read_and_names_the_chmod_that_fixes_them()
    {
        _bin.Script("tmux", "tmux 9.9z").Script("git", "git version 9.9.9").Real("sh").Real("setsid");
        var state = Directory.CreateDirectory(_dir.Combine(".fleet"), (UnixFileMode)Convert.ToInt32("755", 8)).FullName;
        var store = _dir.Write("home/telemetry.db", "not really a store");
        File.SetUnixFileMode(store, (UnixFileMode)Convert.ToInt32("644", 8));

        var (code, console) = await DoctorAsync([], "doctor", "--json");
        var (_, table) = await DoctorAsync([], "doctor");

        code.ShouldBe(0, console.Stderr);
        using var json = JsonDocument.Parse(console.Stdout);
        var shared = json.RootElement.GetProperty("shared_agent_data").EnumerateArray()
            .Select(e => (Path: e.GetProperty("path").GetString()!, Mode: e.GetProperty("mode").GetString()!, Fix: e.GetProperty("fix").GetString()!)).ToList();
        shared.ShouldBe([(store, "0644", $"chmod go-rwx {store}"), (state, "0755", $"chmod -R go-rwx {state}")]);
        table.Stdout.ShouldContain($"warning: {state} holds agent data that other users can read (mode 0755); make it private with: chmod -R go-rwx {state}");

        // The named fix works: run as printed, the warnings are gone.
        foreach (var (_, _, fix) in shared)
        {
            using var chmod = System.Diagnostics.Process.Start("chmod", fix.Split(' ')[1..])!;
            await chmod.WaitForExitAsync(TestContext.Current.CancellationToken).DefaultTimeout();
            chmod.ExitCode.ShouldBe(0);
        }

        var (_, after) = await DoctorAsync([], "doctor", "--json");
        using var again = JsonDocument.Parse(after.Stdout);
        again.RootElement.GetProperty("shared_agent_data").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Doctor_shows_the_users_notify_defaults_with_the_webhook_masked_and_says_the_desktop_is_skipped_without_notify_send()
    {
        _bin.Script("git", "git version 9.9.9").Real("sh").Real("setsid");
        _dir.Write("home/notify.json", """{ "webhook": "https://hooks.slack.com/services/T0/B0/PLANTED", "desktop": true }""");

        var (_, console) = await DoctorAsync([], "doctor");
        var (_, json) = await DoctorAsync([], "doctor", "--json");

        (console.Stdout + json.Stdout).ShouldNotContain("PLANTED");
        var line = console.Stdout.Split('\n').Where(l => l.StartsWith("notify ", StringComparison.Ordinal)).ShouldHaveSingleItem();
        line.ShouldContain("webhook https://hooks.slack.com/…, desktop");
        line.ShouldContain("(desktop: notify-send is missing, so it is skipped)");
        console.Stdout.ShouldContain("notify-send        missing");
        using var doc = JsonDocument.Parse(json.Stdout);
        doc.RootElement.GetProperty("notify").GetProperty("channels").EnumerateArray().Select(c => c.GetString()).ShouldBe(["webhook https://hooks.slack.com/…", "desktop"]);
    }

    [Fact]
    public async Task Doctor_reports_a_broken_notify_json_at_its_line_and_column()
    {
        _bin.Script("git", "git version 9.9.9").Real("sh").Real("setsid");
        _dir.Write("home/notify.json", "{\n  \"bel\": true\n}\n");

        var (_, console) = await DoctorAsync([], "doctor");

        console.Stdout.ShouldContain("notify             invalid, ignored");
        console.Stdout.ShouldContain($"warning: {_dir.Combine("home", "notify.json")}:2:3: $.bel: unknown key \"bel\"; did you mean \"bell\"?");
    }

    private async Task<(int Code, TestConsole Console)> DoctorAsync(Dictionary<string, string> environment, params string[] args)
    {
        environment["PATH"] = _bin.Path;
        environment["FLEET_HOME"] = _dir.Combine("home");
#pragma warning disable CA2000 // Returned to the test, which reads it.
        var console = new TestConsole(_dir.Path, environment);
#pragma warning restore CA2000
        var code = await FleetApp.RunAsync(args, console, TestContext.Current.CancellationToken).SlowTimeout();
        return (code, console);
    }
}

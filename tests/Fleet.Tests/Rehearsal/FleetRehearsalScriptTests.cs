using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Orchestration;
using Fleet.Validation;

namespace Fleet.Tests.Rehearsal;

/// <summary>Which script <c>fleet launch --rehearse</c> plays: the fleet root's <c>rehearsal.json</c>, else the default.</summary>
public sealed class FleetRehearsalScriptTests
{
    private const string FleetJson = """
        { "fleet_name": "scripted", "type": "dag", "config": { "provider": "claude", "model": "claude-sonnet-4-5" },
          "workers": [ { "id": "a", "type": "code-run", "task": "Do it." } ] }
        """;

    [Fact]
    public void A_root_without_rehearsal_json_plays_the_default_script_and_one_with_it_plays_that()
    {
        using var dir = new TempDir("fleet-rehearsal-script-");
        var fleet = FleetValidator.Validate(FleetJson, "fleet.json", dir.Path).Fleet.ShouldNotBeNull();
        FleetRehearsalScript.For(fleet).Rules.Single().Turns[0].ShouldBeOfType<WriteFileTurn>().Path.ShouldBe(DefaultRehearsalScript.WorkerFilePath);

        dir.Write("rehearsal.json", """{ "rules": [ { "worker": "a", "turns": [ { "type": "text", "text": "scripted" } ] } ] }""");

        FleetRehearsalScript.For(fleet).Rules.Single().Turns.Single().ShouldBeOfType<TextTurn>().Text.ShouldBe("scripted");
    }

    [Fact]
    public async Task A_broken_rehearsal_json_stops_a_rehearsed_launch_with_exit_2_naming_the_file_and_path_and_nothing_starts()
    {
        AgentCli.RequireOrSkip("claude");
        await using var run = new FleetRun(FleetJson);
        run.Dir.Write("fleet/rehearsal.json", """{ "rules": [ { "worker": "a", "turns": [ { "type": "shel", "command": "ls" } ] } ] }""");

        var (code, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--no-tmux").SlowTimeout();

        code.ShouldBe(2);
        console.Stderr.ShouldContain($"{Path.Combine(run.Root, "rehearsal.json")}:1:52: $.rules[0].turns[0].type: unknown turn type 'shel'");
        console.Stderr.ShouldContain("nothing was started");
        File.Exists(run.Layout.JournalFile).ShouldBeFalse();
    }

    [Fact]
    public async Task A_rehearsed_dry_run_rejects_the_broken_rehearsal_json_the_real_launch_rejects_at_its_line_and_column()
    {
        await using var run = new FleetRun(FleetJson);
        run.Dir.Write("fleet/rehearsal.json", "{ \"rules\": [\n  { \"worker\": \"a\",\n    \"turns\": [ { \"type\": \"text\", \"txt\": \"hi\" } ] } ] }\n");

        var (code, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--dry-run").DefaultTimeout();

        code.ShouldBe(2);
        console.Stderr.ShouldContain($"{Path.Combine(run.Root, "rehearsal.json")}:3:41: $.rules[0].turns[0].txt: unknown key; did you mean 'text'?");
        console.Stdout.ShouldBeEmpty();
        File.Exists(run.Layout.JournalFile).ShouldBeFalse();
    }

    [Fact]
    public async Task A_rehearsal_json_that_is_not_json_is_reported_at_the_parsers_line_and_column()
    {
        await using var run = new FleetRun(FleetJson);
        run.Dir.Write("fleet/rehearsal.json", "{ \"rules\": [\n  { \"worker\": \"a\" \"turns\": [] } ] }\n");

        var (code, console) = await run.FleetAsync("launch", run.Root, "--rehearse", "--dry-run").DefaultTimeout();

        code.ShouldBe(2);
        console.Stderr.ShouldContain($"{Path.Combine(run.Root, "rehearsal.json")}:2:19: not valid JSON: '\"' is invalid after a value");
    }

    [Fact]
    public void The_shipped_flywheel_script_asks_its_question_only_while_the_brief_lacks_the_default()
    {
        var script = RehearsalScript.LoadFile(Path.Combine(RepoPaths.Examples, "flywheel", "rehearsal.json"));
        var withDefault = "brief\n- If you would ask \"Which environment should the smoke tests run against?\", the answer is: staging (run r-1, gate api-1-2)";

        foreach (var worker in new[] { "api", "web" })
        {
            var key = RehearsalKey.Create("flywheel", worker, 1);
            script.Find(key, RehearsalProvider.Claude, "brief")!.Turns.OfType<ToolCallTurn>().ShouldHaveSingleItem().Name.ShouldBe("AskUserQuestion");
            script.Find(key, RehearsalProvider.Claude, withDefault)!.Turns.OfType<ToolCallTurn>().ShouldBeEmpty();
        }
    }
}

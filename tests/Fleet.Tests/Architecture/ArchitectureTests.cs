using Fleet.State;

namespace Fleet.Tests.Architecture;

public sealed class ArchitectureTests
{
    private static readonly Lazy<AssemblyDependencies> Core = new(() => AssemblyDependencies.Read(typeof(Journal).Assembly.Location));

    [Fact]
    public void Fleet_Core_has_no_namespace_cycle()
    {
        var cycles = Namespaces.Cycles(Core.Value.NamespaceGraph("Fleet"));

        cycles.Select(Namespaces.Describe).ShouldBeEmpty();
    }

    [Fact]
    public void The_cycle_check_finds_the_cycle_between_the_two_fixture_namespaces()
    {
        var tests = AssemblyDependencies.Read(typeof(ArchitectureTests).Assembly.Location);

        var cycles = Namespaces.Cycles(tests.NamespaceGraph("Fleet.Tests.Architecture.CycleFixture"));

        cycles.Select(Namespaces.Describe).ShouldBe(["Fleet.Tests.Architecture.CycleFixture.A → Fleet.Tests.Architecture.CycleFixture.B → Fleet.Tests.Architecture.CycleFixture.A"]);
    }

    [Fact]
    public void The_state_kernel_depends_on_nothing_in_fleet_but_paths()
    {
        var graph = Core.Value.NamespaceGraph("Fleet");

        graph["Fleet.State"].ShouldBe(["Fleet.Paths"], ignoreOrder: true);
        graph["Fleet.Paths"].ShouldBeEmpty();
    }

    [Fact]
    public void Fleet_Core_does_not_reference_the_console()
    {
        var console = Core.Value.Types
            .SelectMany(t => Core.Value.TypesReferencedBy(t).Select(r => (From: t, To: r)))
            .Where(d => IsConsole(d.To))
            .Select(d => $"{d.From} → {d.To}");

        console.ShouldBeEmpty();
        Core.Value.AssemblyReferences.ShouldNotContain(a => a == "Spectre.Console" || a == "System.CommandLine");
    }

    [Fact]
    public void The_CLI_commands_make_no_journal_write_process_start_or_registry_edit_of_their_own()
    {
        // They parse, call a use case (or a Core host) and render; what changes a fleet is done in Core, the same for
        // every front end.
        var cli = AssemblyDependencies.Read(typeof(Fleet.Cli.FleetApp).Assembly.Location);

        var effects = cli.MemberReferencesFrom("Fleet.Cli.Commands")
            .Where(IsStateChangeOrProcessStart)
            .Select(m => $"{m.FromType} → {m.DeclaringType}.{m.Member}")
            .Distinct();

        effects.ShouldBeEmpty();
    }

    [Fact]
    public void The_dashboard_changes_fleets_only_through_the_use_cases()
    {
        // The same rule as the CLI's: a second front end, no second way to write the journal, start a worker or edit
        // the registry. Opening the person's browser is the one process it starts.
        var dashboard = AssemblyDependencies.Read(typeof(Fleet.Dashboard.DashboardServer).Assembly.Location);

        var effects = dashboard.MemberReferencesFrom("Fleet.Dashboard")
            .Where(m => m.FromType != "Fleet.Dashboard.BrowserLauncher")
            .Where(IsStateChangeOrProcessStart)
            .Select(m => $"{m.FromType} → {m.DeclaringType}.{m.Member}")
            .Distinct();

        effects.ShouldBeEmpty();
        dashboard.MemberReferencesFrom("Fleet.Dashboard").ShouldContain(m => m.DeclaringType == "Fleet.UseCases.AnswerGate" && m.Member == "RunAsync");
    }

    [Theory]
    [InlineData("Fleet.State.Journal", "AppendAsync", true)]
    [InlineData("Fleet.State.Journal", "Flush", true)]
    [InlineData("Fleet.State.Journal", "ReadAll", false)]
    [InlineData("Fleet.State.FleetRuns", "BeginAsync", true)]
    [InlineData("Fleet.State.FleetRuns", "Load", false)]
    [InlineData("Fleet.State.FleetRegistry", "Register", true)]
    [InlineData("Fleet.State.FleetRegistry", "Unregister", true)]
    [InlineData("Fleet.State.FleetRegistry", "List", false)]
    [InlineData("System.Diagnostics.Process", "Start", true)]
    [InlineData("System.Diagnostics.Process", "get_Id", false)]
    [InlineData("Fleet.Processes.CommandRunner", "ExecuteBufferedAsync", true)]
    [InlineData("Fleet.Processes.DetachedProcess", "StartAsync", true)]
    [InlineData("Fleet.Processes.AgentProcess", "StartAsync", true)]
    [InlineData("Fleet.Worktrees.GitCli", "RunAsync", true)]
    [InlineData("Fleet.UseCases.LaunchFleet", "RunAsync", false)]
    public void A_call_counts_as_a_state_change_or_process_start_by_its_declaring_type_and_member(string type, string member, bool effect)
    {
        IsStateChangeOrProcessStart(new MemberReference("Fleet.Cli.Commands.X", type, member)).ShouldBe(effect);
    }

    private static bool IsStateChangeOrProcessStart(MemberReference call) => (call.DeclaringType, call.Member) switch
    {
        ("Fleet.State.Journal", var m) => m.StartsWith("Append", StringComparison.Ordinal) || m == "Flush",
        ("Fleet.State.FleetRuns", var m) => m.StartsWith("Begin", StringComparison.Ordinal),
        ("Fleet.State.FleetRegistry", var m) => m is "Register" or "Unregister",
        ("System.Diagnostics.Process", var m) => m == "Start",
        ("Fleet.Processes.CommandRunner", var m) => m.StartsWith("Execute", StringComparison.Ordinal),
        ("Fleet.Processes.DetachedProcess" or "Fleet.Processes.AgentProcess", var m) => m.StartsWith("Start", StringComparison.Ordinal),
        ("Fleet.Worktrees.GitCli", var m) => m.StartsWith("Run", StringComparison.Ordinal) || m == "OutputAsync",
        _ => false,
    };

    [Fact]
    public void The_reader_sees_types_a_method_body_uses_and_the_members_it_calls()
    {
        var tests = AssemblyDependencies.Read(typeof(ArchitectureTests).Assembly.Location);

        tests.TypesReferencedBy("Fleet.Tests.Architecture.CycleFixture.B.Right").ShouldContain("Fleet.Tests.Architecture.CycleFixture.A.Left");
        tests.MemberReferencesFrom("Fleet.Tests.Architecture.CycleFixture.B")
            .ShouldContain(new MemberReference("Fleet.Tests.Architecture.CycleFixture.B.Right", "Fleet.Tests.Architecture.CycleFixture.A.Left", "get_Other"));
    }

    [Fact]
    public void The_reader_sees_a_journal_write_made_inside_an_async_method()
    {
        var writes = Core.Value.MemberReferencesFrom("Fleet.State").Where(m => m is { DeclaringType: "Fleet.State.Journal", Member: "AppendAsync" });

        writes.Select(m => m.FromType).ShouldContain("Fleet.State.FleetRuns");
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("A>B", "")]
    [InlineData("A>B B>C", "")]
    [InlineData("A>A", "A → A")]
    [InlineData("A>B B>A", "A → B → A")]
    [InlineData("B>A A>B", "A → B → A")]
    [InlineData("A>B B>C C>A", "A → B → C → A")]
    [InlineData("A>B B>C C>A A>C", "A → C → A")]
    [InlineData("A>B B>A C>D D>C", "A → B → A | C → D → C")]
    [InlineData("A>B B>C C>B", "B → C → B")]
    [InlineData("A>B B>C C>D D>B D>E", "B → C → D → B")]
    [InlineData("X>Y Y>Z Z>X A>X", "X → Y → Z → X")]
    public void Cycles_are_named_from_their_first_node_along_a_shortest_way_back(string edges, string expected)
    {
        var graph = edges.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('>'))
            .GroupBy(e => e[0], e => e[1])
            .ToDictionary(g => g.Key, g => (IReadOnlySet<string>)g.ToHashSet());

        string.Join(" | ", Namespaces.Cycles(graph).Select(Namespaces.Describe)).ShouldBe(expected);
    }

    [Theory]
    [InlineData("Fleet.State.Journal", "Fleet.State")]
    [InlineData("Fleet.Orchestration.Spawning.TmuxServer", "Fleet.Orchestration.Spawning")]
    [InlineData("Journal", "")]
    public void A_type_s_namespace_is_what_comes_before_its_last_dot(string type, string expected) =>
        Namespaces.Of(type).ShouldBe(expected);

    [Theory]
    [InlineData("Fleet.State", "Fleet", true)]
    [InlineData("Fleet", "Fleet", true)]
    [InlineData("Fleet.Statefulness", "Fleet.State", false)]
    [InlineData("System.Text", "Fleet", false)]
    public void A_namespace_is_within_a_prefix_only_at_a_dot(string ns, string prefix, bool expected) =>
        Namespaces.IsWithin(ns, prefix).ShouldBe(expected);

    private static bool IsConsole(string type) =>
        type == "System.Console" || Namespaces.IsWithin(Namespaces.Of(type), "Spectre.Console") || Namespaces.IsWithin(Namespaces.Of(type), "System.CommandLine");
}

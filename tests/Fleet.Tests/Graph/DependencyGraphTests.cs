using Fleet.Graph;

namespace Fleet.Tests.Graph;

public class DependencyGraphTests
{
    private static DependencyGraph Build(params (string Id, string[] DependsOn)[] nodes) =>
        new(nodes.Select(n => n.Id), id => nodes.First(n => n.Id == id).DependsOn);

    [Fact]
    public void Layers_follow_the_longest_chain_of_dependencies()
    {
        var graph = Build(("a", []), ("b", ["a"]), ("c", []), ("d", ["b", "c"]), ("e", ["a"]));

        graph.Layers().ShouldBe([["a", "c"], ["b", "e"], ["d"]]);
    }

    [Fact]
    public void Within_a_layer_workers_keep_their_declaration_order()
    {
        var graph = Build(("zeta", []), ("alpha", []), ("mid", []), ("last", ["zeta", "alpha", "mid"]));

        graph.Layers()[0].ShouldBe(["zeta", "alpha", "mid"]);
    }

    [Fact]
    public void A_cycle_is_reported_once_with_its_path()
    {
        var graph = Build(("a", ["b"]), ("b", ["c"]), ("c", ["a"]), ("d", ["a"]));

        graph.FindCycles().ShouldBe([["a", "b", "c", "a"]]);
    }

    [Fact]
    public void Two_separate_cycles_are_both_reported()
    {
        var graph = Build(("a", ["b"]), ("b", ["a"]), ("c", ["d"]), ("d", ["c"]));

        graph.FindCycles().Count.ShouldBe(2);
    }

    [Fact]
    public void A_graph_without_cycles_reports_none_and_layers_refuse_a_cycle()
    {
        Build(("a", []), ("b", ["a"])).FindCycles().ShouldBeEmpty();
        Should.Throw<InvalidOperationException>(() => Build(("a", ["b"]), ("b", ["a"])).Layers());
    }

    [Fact]
    public void Transitive_dependencies_include_dependencies_of_dependencies()
    {
        var graph = Build(("a", []), ("b", ["a"]), ("c", ["b"]), ("x", []));

        graph.TransitiveDependencies("c").OrderBy(s => s, StringComparer.Ordinal).ShouldBe(["a", "b"]);
    }

    [Fact]
    public void Unknown_dependencies_are_ignored_by_the_graph()
    {
        var graph = Build(("a", ["ghost"]));

        graph.Layers().ShouldBe([["a"]]);
    }
}

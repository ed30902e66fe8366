namespace Fleet.Graph;

/// <summary>
/// Workers and their <c>depends_on</c> edges. Layers are deterministic: a node's layer is the length
/// of its longest chain of dependencies, and within a layer nodes keep their declaration order.
/// </summary>
public sealed class DependencyGraph
{
    private readonly List<string> _nodes;
    private readonly Dictionary<string, IReadOnlyList<string>> _dependencies;

    /// <param name="nodes">Node ids in declaration order; unique.</param>
    /// <param name="dependencies">For each node, the ids it depends on; unknown ids are ignored (the validator reports them).</param>
    public DependencyGraph(IEnumerable<string> nodes, Func<string, IEnumerable<string>> dependencies)
    {
        ArgumentNullException.ThrowIfNull(dependencies);
        _nodes = [.. nodes];
        var known = _nodes.ToHashSet(StringComparer.Ordinal);
        _dependencies = _nodes.ToDictionary(
            n => n,
            n => (IReadOnlyList<string>)[.. dependencies(n).Where(known.Contains).Distinct(StringComparer.Ordinal)],
            StringComparer.Ordinal);
    }

    public IReadOnlyList<string> Nodes => _nodes;

    public IReadOnlyList<string> DependenciesOf(string node) => _dependencies[node];

    /// <summary>Every elementary cycle found by a depth-first walk in declaration order, each as a path that ends where it starts (<c>a, b, c, a</c>); each cycle reported once.</summary>
    public IReadOnlyList<IReadOnlyList<string>> FindCycles()
    {
        var cycles = new List<IReadOnlyList<string>>();
        var seenCycles = new HashSet<string>(StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 0 unvisited, 1 on stack, 2 done
        var stack = new List<string>();

        void Visit(string node)
        {
            state[node] = 1;
            stack.Add(node);
            foreach (var dependency in _dependencies[node])
            {
                var s = state.GetValueOrDefault(dependency);
                if (s == 0)
                {
                    Visit(dependency);
                }
                else if (s == 1)
                {
                    // Report the cycle in the direction a reader follows depends_on: a depends on b, b on c…
                    var start = stack.IndexOf(dependency);
                    var cycle = stack.GetRange(start, stack.Count - start);
                    var key = string.Join(' ', cycle.Order(StringComparer.Ordinal));
                    if (seenCycles.Add(key))
                    {
                        cycles.Add([.. cycle, dependency]);
                    }
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[node] = 2;
        }

        foreach (var node in _nodes.Where(n => state.GetValueOrDefault(n) == 0))
        {
            Visit(node);
        }

        return cycles;
    }

    /// <summary>Topological layers; throws when the graph has a cycle (validate first).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Layers()
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        var visiting = new HashSet<string>(StringComparer.Ordinal);

        int Depth(string node)
        {
            if (depth.TryGetValue(node, out var known))
            {
                return known;
            }

            if (!visiting.Add(node))
            {
                throw new InvalidOperationException($"the dependency graph has a cycle through \"{node}\"");
            }

            var d = _dependencies[node].Count == 0 ? 0 : _dependencies[node].Max(Depth) + 1;
            visiting.Remove(node);
            depth[node] = d;
            return d;
        }

        foreach (var node in _nodes)
        {
            Depth(node);
        }

        return [.. _nodes.GroupBy(n => depth[n]).OrderBy(g => g.Key).Select(g => (IReadOnlyList<string>)[.. g])];
    }

    /// <summary>Every node that <paramref name="node"/> depends on, directly or not.</summary>
    public IReadOnlySet<string> TransitiveDependencies(string node)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(_dependencies[node]);
        while (pending.Count > 0)
        {
            var next = pending.Pop();
            if (result.Add(next))
            {
                foreach (var d in _dependencies[next])
                {
                    pending.Push(d);
                }
            }
        }

        return result;
    }
}

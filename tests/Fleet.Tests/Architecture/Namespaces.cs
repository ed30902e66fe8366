namespace Fleet.Tests.Architecture;

/// <summary>Pure functions over namespace names and namespace graphs.</summary>
public static class Namespaces
{
    /// <summary>The namespace of a full type name (<c>Fleet.State.Journal</c> → <c>Fleet.State</c>).</summary>
    public static string Of(string typeName)
    {
        var dot = typeName.LastIndexOf('.');
        return dot < 0 ? "" : typeName[..dot];
    }

    /// <summary>Whether <paramref name="ns"/> is <paramref name="prefix"/> or a namespace below it.</summary>
    public static bool IsWithin(string ns, string prefix) =>
        ns == prefix || ns.StartsWith(prefix + ".", StringComparison.Ordinal);

    /// <summary>
    /// One cycle per strongly connected part of the graph that has more than one node (or a node depending on itself),
    /// written as the nodes along it, back to the first: <c>[A, B, A]</c>. Each starts at its part's first node in ordinal
    /// order and is a shortest way back to it, so the answer is the same on every run.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>> Cycles(IReadOnlyDictionary<string, IReadOnlySet<string>> graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var cycles = new List<IReadOnlyList<string>>();
        foreach (var part in StronglyConnected(graph))
        {
            var start = part.Min(StringComparer.Ordinal)!;
            if (part.Count == 1 && !Targets(graph, start).Contains(start))
            {
                continue;
            }

            cycles.Add(ShortestWayBack(graph, part, start));
        }

        return [.. cycles.OrderBy(c => c[0], StringComparer.Ordinal)];
    }

    /// <summary>A cycle for people: <c>A → B → A</c>.</summary>
    public static string Describe(IReadOnlyList<string> cycle) => string.Join(" → ", cycle);

    private static IEnumerable<string> Targets(IReadOnlyDictionary<string, IReadOnlySet<string>> graph, string node) =>
        graph.TryGetValue(node, out var targets) ? targets.Order(StringComparer.Ordinal) : [];

    private static List<string> ShortestWayBack(IReadOnlyDictionary<string, IReadOnlySet<string>> graph, HashSet<string> part, string start)
    {
        var cameFrom = new Dictionary<string, string>(StringComparer.Ordinal);
        var queue = new Queue<string>([start]);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            foreach (var next in Targets(graph, node).Where(part.Contains))
            {
                if (next == start)
                {
                    var path = new List<string> { start };
                    for (var at = node; at != start; at = cameFrom[at])
                    {
                        path.Add(at);
                    }

                    path.Add(start);
                    path.Reverse();
                    return path;
                }

                if (cameFrom.TryAdd(next, node))
                {
                    queue.Enqueue(next);
                }
            }
        }

        throw new InvalidOperationException($"{start} is in a strongly connected part but has no way back");
    }

    /// <summary>Tarjan's strongly connected components, iteratively so a deep graph cannot overflow the stack.</summary>
    private static List<HashSet<string>> StronglyConnected(IReadOnlyDictionary<string, IReadOnlySet<string>> graph)
    {
        var nodes = graph.Keys.Concat(graph.Values.SelectMany(v => v)).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var parts = new List<HashSet<string>>();
        foreach (var root in nodes.Where(n => !index.ContainsKey(n)))
        {
            var work = new Stack<(string Node, IEnumerator<string> Next)>();
            Visit(root);
            while (work.Count > 0)
            {
                var (node, next) = work.Peek();
                if (next.MoveNext())
                {
                    var target = next.Current;
                    if (!index.TryGetValue(target, out var seen))
                    {
                        Visit(target);
                    }
                    else if (onStack.Contains(target))
                    {
                        low[node] = Math.Min(low[node], seen);
                    }

                    continue;
                }

                work.Pop();
                if (work.Count > 0)
                {
                    var parent = work.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[node]);
                }

                if (low[node] == index[node])
                {
                    var part = new HashSet<string>(StringComparer.Ordinal);
                    string member;
                    do
                    {
                        member = stack.Pop();
                        onStack.Remove(member);
                        part.Add(member);
                    }
                    while (member != node);
                    parts.Add(part);
                }
            }

            void Visit(string node)
            {
                index[node] = low[node] = index.Count;
                stack.Push(node);
                onStack.Add(node);
                work.Push((node, Targets(graph, node).GetEnumerator()));
            }
        }

        return parts;
    }
}

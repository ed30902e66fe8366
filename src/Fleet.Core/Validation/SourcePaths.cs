namespace Fleet.Validation;

/// <summary>Every node of a parsed document by its JSON path, so a rule can point at the exact place it checks.</summary>
internal sealed class SourcePaths(SourceNode document)
{
    private readonly Dictionary<string, SourceNode> _nodes = Index(document);

    public bool Contains(string path) => _nodes.ContainsKey(path);

    public SourceNode? Get(string path) => _nodes.GetValueOrDefault(path);

    /// <summary>The node at a path, or its nearest ancestor when the key is absent (a default the file left out).</summary>
    public SourceNode Locate(string path)
    {
        for (var p = path; ; p = Parent(p))
        {
            if (_nodes.TryGetValue(p, out var node))
            {
                return node;
            }

            if (p.Length <= 1)
            {
                return document;
            }
        }
    }

    private static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut > 0 ? path[..cut] : "$";
    }

    private static Dictionary<string, SourceNode> Index(SourceNode root)
    {
        var index = new Dictionary<string, SourceNode>(StringComparer.Ordinal);
        var pending = new Stack<SourceNode>([root]);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            index.TryAdd(node.Path, node);
            foreach (var child in node switch { SourceObject o => o.Properties.Select(p => p.Value), SourceArray a => a.Items, _ => [] })
            {
                pending.Push(child);
            }
        }

        return index;
    }
}

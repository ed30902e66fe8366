using System.Text.RegularExpressions;

namespace Fleet.Validation;

/// <summary>JSON paths as shown to users: <c>$.workers[2].depends_on[0]</c>.</summary>
public static partial class JsonPaths
{
    public static string Property(string parent, string name) =>
        SimpleName().IsMatch(name) ? $"{parent}.{name}" : $"{parent}['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";

    public static string Item(string parent, int index) => $"{parent}[{index}]";

    [GeneratedRegex("^[A-Za-z_$][A-Za-z0-9_$]*$")]
    private static partial Regex SimpleName();
}

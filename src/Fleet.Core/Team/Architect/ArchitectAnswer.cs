using System.Globalization;
using System.Text.Json;

namespace Fleet.Team;

/// <summary>The architect's answer, checked: one footprint per issue in scope (by issue number), and per issue the quoted evidence for its needs.</summary>
public sealed record ArchitectAnswer(IReadOnlyList<IssueFootprint> Footprints, IReadOnlyDictionary<int, string> Why)
{
    /// <summary>
    /// Reads a structured-output value against <see cref="FootprintSchema"/> and the scope: every issue in scope exactly
    /// once, no other issue, needs only on other issues in scope. Paths are kept as given (the planner normalizes them).
    /// Returns null and every problem found (each naming its JSON path or issue) when the answer cannot be used.
    /// </summary>
    public static ArchitectAnswer? Read(JsonElement value, IReadOnlyCollection<int> scope, out IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var found = new List<string>();
        problems = found;
        if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("footprints", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            found.Add("$.footprints: expected an array of footprints");
            return null;
        }

        var footprints = new List<IssueFootprint>();
        var why = new Dictionary<int, string>();
        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"$.footprints[{index++}]");
            if (ReadOne(item, at, found) is { } footprint)
            {
                footprints.Add(footprint.Footprint);
                why.TryAdd(footprint.Footprint.Issue, footprint.Why);
            }
        }

        CheckScope(footprints, scope, found);
        if (found.Count > 0)
        {
            return null;
        }

        return new ArchitectAnswer([.. footprints.OrderBy(f => f.Issue)], why);
    }

    private static (IssueFootprint Footprint, string Why)? ReadOne(JsonElement item, string at, List<string> problems)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{at}: expected an object");
            return null;
        }

        var before = problems.Count;
        foreach (var property in item.EnumerateObject())
        {
            if (property.Name is not ("issue" or "files" or "folders" or "migrations" or "needs" or "why"))
            {
                problems.Add($"{at}.{property.Name}: unknown key");
            }
        }

        var issue = Int(item, "issue", at, problems);
        var files = Strings(item, "files", at, problems);
        var folders = Strings(item, "folders", at, problems);
        var migrations = Strings(item, "migrations", at, problems);
        var needs = new List<int>();
        if (Array(item, "needs", at, problems) is { } needsArray)
        {
            var k = 0;
            foreach (var need in needsArray.EnumerateArray())
            {
                if (need.ValueKind == JsonValueKind.Number && need.TryGetInt32(out var n))
                {
                    needs.Add(n);
                }
                else
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"{at}.needs[{k}]: expected an issue number"));
                }

                k++;
            }
        }

        string why = string.Empty;
        if (!item.TryGetProperty("why", out var whyElement) || whyElement.ValueKind != JsonValueKind.String)
        {
            problems.Add($"{at}.why: expected a string");
        }
        else
        {
            why = whyElement.GetString()!;
        }

        return problems.Count > before ? null : (new IssueFootprint(issue, files, folders, migrations, [.. needs.Distinct()]), why);
    }

    private static void CheckScope(List<IssueFootprint> footprints, IReadOnlyCollection<int> scope, List<string> problems)
    {
        var inScope = scope.ToHashSet();
        var seen = footprints.GroupBy(f => f.Issue).ToDictionary(g => g.Key, g => g.Count());
        var unknown = seen.Keys.Where(n => !inScope.Contains(n)).Order().ToList();
        if (unknown.Count > 0)
        {
            problems.Add($"footprints for issues not in scope: {Numbers(unknown)} (in scope: {Numbers(inScope.Order())})");
        }

        foreach (var (number, count) in seen.Where(s => s.Value > 1).OrderBy(s => s.Key))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"issue #{number} has {count} footprints; expected exactly one"));
        }

        var missing = inScope.Where(n => !seen.ContainsKey(n)).Order().ToList();
        if (missing.Count > 0)
        {
            problems.Add($"no footprint for {(missing.Count == 1 ? "issue" : "issues")} {Numbers(missing)}");
        }

        foreach (var f in footprints.Where(f => inScope.Contains(f.Issue)).OrderBy(f => f.Issue))
        {
            if (f.Needs.Contains(f.Issue))
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"issue #{f.Issue} needs itself"));
            }

            var outside = f.Needs.Where(n => !inScope.Contains(n)).Order().ToList();
            if (outside.Count > 0)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"issue #{f.Issue} needs {Numbers(outside)}, not in scope"));
            }
        }
    }

    private static string Numbers(IEnumerable<int> numbers) =>
        string.Join(", ", numbers.Select(n => "#" + n.ToString(CultureInfo.InvariantCulture)));

    private static int Int(JsonElement item, string name, string at, List<string> problems)
    {
        if (item.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var n))
        {
            return n;
        }

        problems.Add($"{at}.{name}: expected an issue number");
        return 0;
    }

    private static JsonElement? Array(JsonElement item, string name, string at, List<string> problems)
    {
        if (item.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Array)
        {
            return e;
        }

        problems.Add($"{at}.{name}: expected an array");
        return null;
    }

    private static List<string> Strings(JsonElement item, string name, string at, List<string> problems)
    {
        var list = new List<string>();
        if (Array(item, name, at, problems) is not { } array)
        {
            return list;
        }

        var k = 0;
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind == JsonValueKind.String)
            {
                list.Add(e.GetString()!);
            }
            else
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{at}.{name}[{k}]: expected a string"));
            }

            k++;
        }

        return list;
    }
}

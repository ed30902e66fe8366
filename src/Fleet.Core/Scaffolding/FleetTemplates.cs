using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fleet.Spec;

namespace Fleet.Scaffolding;

/// <summary>The files <c>fleet init</c> writes: a valid fleet.json for the type, a brief per worker, and the schema for editors.</summary>
public static partial class FleetTemplates
{
    public const string SchemaFileName = "fleet.schema.json";

    /// <summary>Relative path → content.</summary>
    public static IReadOnlyDictionary<string, string> Create(FleetType type, Provider provider, string fleetName)
    {
        var workers = Workers(type, provider);
        var config = new JsonObject { ["max_concurrent"] = 2, ["provider"] = provider.Name() };
        switch (provider)
        {
            case Provider.Claude:
                config["model"] = "sonnet";
                config["fallback_model"] = "haiku";
                config["permission_mode"] = "acceptEdits";
                break;
            case Provider.Codex:
                config["model"] = "gpt-5-codex";
                config["reasoning_effort"] = "medium";
                break;
            case Provider.Gemini:
                config["model"] = "gemini-2.5-pro";
                config["permission_mode"] = "acceptEdits";
                break;
            default:
                break;
        }

        if (type == FleetType.Iterative)
        {
            config["max_iterations"] = 5;
        }

        config["cost_cap_usd"] = 5.0;

        var fleet = new JsonObject
        {
            ["$schema"] = $"./{SchemaFileName}",
            ["fleet_name"] = fleetName,
            ["type"] = type.Name(),
            ["config"] = config,
            ["workers"] = new JsonArray([.. workers.Select(w => (JsonNode)w.Json)]),
        };
        if (type == FleetType.Iterative)
        {
            fleet["stop_when"] = new JsonObject { ["reviewer_lgtm_count"] = 1, ["max_iterations"] = 5, ["cost_cap_usd"] = 5.0 };
        }

        var files = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["fleet.json"] = fleet.ToJsonString(Spec.JsonText.Indented) + "\n",
            [SchemaFileName] = FleetSchema.ToJson(),
        };
        foreach (var worker in workers.Where(w => w.Brief is not null))
        {
            files[$"workers/{worker.Id}/prompt.md"] = worker.Brief!;
        }

        return files;
    }

    /// <summary>A fleet name from a folder name: lower-case, only the characters ids allow.</summary>
    public static string NameFromFolder(string folder)
    {
        var name = InvalidIdCharacters().Replace(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)).ToLowerInvariant(), "-").Trim('-', '.', '_');
        if (name.Length > 64)
        {
            name = name[..64];
        }

        return name.Length == 0 ? "my-fleet" : name;
    }

    private sealed record TemplateWorker(string Id, JsonObject Json, string? Brief);

    private static List<TemplateWorker> Workers(FleetType type, Provider provider) => type switch
    {
        FleetType.Iterative =>
        [
            CodeRun(provider, "builder-a", "Implement the first half of the change.", []),
            CodeRun(provider, "builder-b", "Implement the second half of the change.", []),
            Reviewer(provider, "reviewer", ["builder-a", "builder-b"]),
        ],
        FleetType.Dag =>
        [
            CodeRun(provider, "research", "Read the code and write notes on what must change.", []),
            CodeRun(provider, "implement", "Make the change the research notes describe.", ["research"]),
            Reviewer(provider, "review", ["implement"]),
        ],
        _ =>
        [
            CodeRun(provider, "task-a", "Fix the first independent issue.", []),
            CodeRun(provider, "task-b", "Fix the second independent issue.", []),
        ],
    };

    private static TemplateWorker CodeRun(Provider provider, string id, string task, string[] dependsOn)
    {
        var json = new JsonObject { ["id"] = id, ["type"] = "code-run" };
        if (dependsOn.Length > 0)
        {
            json["depends_on"] = new JsonArray([.. dependsOn.Select(d => (JsonNode)d)]);
        }

        if (provider == Provider.Command)
        {
            json["command"] = new JsonArray("echo", $"{id}: iteration {{iteration}} in {{root}}");
            return new TemplateWorker(id, json, null);
        }

        if (provider == Provider.Claude)
        {
            json["max_budget_per_iter"] = 1.0;
        }

        return new TemplateWorker(id, json, $"# {id}\n\n{task}\n\nReplace this brief with what this worker should do. It is read again at every iteration.\n");
    }

    private static TemplateWorker Reviewer(Provider provider, string id, string[] dependsOn)
    {
        var json = new JsonObject
        {
            ["id"] = id,
            ["type"] = "reviewer",
            ["depends_on"] = new JsonArray([.. dependsOn.Select(d => (JsonNode)d)]),
        };
        if (provider == Provider.Command)
        {
            // A scripted reviewer: approves every iteration. Replace it with a real check (a test run, a linter).
            json["command"] = new JsonArray("sh", "-c", "printf 'verdict: lgtm\\n' > \"$0/iterations/$1/review.md\"", "{root}", "{iteration}");
            return new TemplateWorker(id, json, null);
        }

        return new TemplateWorker(id, json,
            $"# {id}\n\nReview what {string.Join(" and ", dependsOn)} produced in this iteration: read their logs and the changed files, " +
            "run the tests, and judge the result adversarially.\n\nEnd with exactly one verdict line: `verdict: lgtm`, `verdict: iterate` " +
            "(with concrete fixes per worker: file, function, what to change) or `verdict: escalate` (with the reason a person is needed).\n");
    }

    [GeneratedRegex("[^a-z0-9._-]+")]
    private static partial Regex InvalidIdCharacters();
}

using System.Globalization;
using System.Text.Json;
using Fleet.Doctrine;
using Fleet.Spec;
using Fleet.Validation;

namespace Fleet.Team;

/// <summary>
/// plan.json: written indented (snake_case) for people to read and edit, read back with every problem reported as
/// <c>FILE:LINE:COL: $.json.path: message</c>. A person may move issues between waves; reading checks that the waves
/// still keep conflicting issues apart and needed issues earlier, and recomputes nothing.
/// </summary>
public static class TeamPlanFile
{
    public const string FileName = "plan.json";

    /// <summary>Writes <paramref name="plan"/> to <paramref name="path"/> atomically (a reader sees the old file or the new one).</summary>
    public static void Save(TeamPlan plan, string path)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(path);
        DoctrineFiles.WriteAtomic(path, ToJson(plan));
    }

    /// <summary>The plan as plan.json's text.</summary>
    public static string ToJson(TeamPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var json = new PlanJson
        {
            Version = plan.Version,
            Repo = plan.Repo,
            Base = plan.Base,
            Forge = new ForgeJson
            {
                Kind = plan.Forge.Kind switch
                {
                    ForgeSettingsRecord.GitHub => ForgeKind.GitHub,
                    ForgeSettingsRecord.Local => ForgeKind.Local,
                    _ => throw new ArgumentException($"unknown forge kind \"{plan.Forge.Kind}\"; expected github or local", nameof(plan)),
                },
                Path = plan.Forge.Path,
            },
            CreatedAt = plan.CreatedAt.ToString("o", CultureInfo.InvariantCulture),
            SharedFolders = [.. plan.SharedFolders],
            Overlap = plan.Overlap == OverlapModes.Bundle ? OverlapKind.Bundle : OverlapKind.Serialize,
            Squad = new SquadJson
            {
                Developer = ToJson(plan.Squad.Developer),
                Reviewer = ToJson(plan.Squad.Reviewer),
                Sdet = ToJson(plan.Squad.Sdet),
                MaxIterations = plan.Squad.MaxIterations,
                ReviewerLgtmCount = plan.Squad.ReviewerLgtmCount,
                CostCapUsd = plan.Squad.CostCapUsd,
            },
            Checks = new ChecksJson { Command = plan.Checks.Command, WaitSeconds = plan.Checks.WaitSeconds },
            MaxSquads = plan.MaxSquads,
            Issues = [.. plan.Issues.Select(i => new IssueJson
            {
                Number = i.Number,
                Title = i.Title,
                Url = i.Url,
                Footprint = new FootprintJson
                {
                    Files = [.. i.Footprint.Files],
                    Folders = [.. i.Footprint.Folders],
                    Migrations = [.. i.Footprint.Migrations],
                    Needs = [.. i.Footprint.Needs],
                },
                Taken = i.Taken is null ? null : new TakenJson { Reason = i.Taken.Reason, Url = i.Taken.Url },
            })],
            Waves = [.. plan.Waves.Select(w => new WaveJson { Wave = w.Wave, Issues = [.. w.Issues] })],
            Bundles = [.. plan.Bundles.Select(b => new BundleJson { Issues = [.. b.Issues], SharedFiles = [.. b.SharedFiles] })],
            Serializations = [.. plan.Serializations.Select(s => new SerializationJson
            {
                Issue = s.Issue,
                After = s.After,
                Kind = ParseKind(s.Kind),
                Detail = s.Detail,
                Reason = s.Reason,
            })],
            Notes = [.. plan.Notes],
            Retro = plan.Retro,
            Doctrine = plan.Doctrine,
        };

        // Through a node, so that reasons keep their apostrophes ("#12's result") instead of \u0027.
        return JsonSerializer.SerializeToNode(json, PlanJsonContext.Default.PlanJson)!.ToJsonString(JsonText.Indented) + "\n";
    }

    /// <summary>Reads and checks plan.json; throws <see cref="PlanException"/> with every problem found.</summary>
    /// <param name="path">The file to read.</param>
    /// <param name="displayPath">How the user named it; problems show the file under this name.</param>
    public static TeamPlan Load(string path, string? displayPath = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        displayPath ??= path;
        if (!Paths.InputFiles.Exists(path, displayPath))
        {
            throw new PlanException($"{displayPath}: no such file (make one with: fleet team plan)");
        }

        return Parse(Paths.InputFiles.ReadText(path, displayPath), displayPath);
    }

    /// <summary>Checks plan.json's text, named <paramref name="displayFile"/> in problems.</summary>
    public static TeamPlan Parse(string text, string displayFile)
    {
        ArgumentNullException.ThrowIfNull(text);
        var diagnostics = new List<Diagnostic>();
        TeamPlan? plan = null;
        if (ParseSource(text, displayFile, diagnostics) is { } document
            && new SchemaChecker(displayFile, diagnostics).Check(document, TeamPlanSchema.Shared) is { } clean
            && diagnostics.Count == 0)
        {
            // Rules between fields run on a well-formed file only: on a half-read one they would report ghosts.
            plan = new TeamPlanRules(displayFile, document, diagnostics).Check(clean.Deserialize(PlanJsonContext.Default.PlanJson)!);
        }

        return diagnostics.Count == 0 && plan is not null
            ? plan
            : throw new PlanException([.. diagnostics.OrderBy(d => d.Line).ThenBy(d => d.Column).Select(d => d.ToString())]);
    }

    internal static SerializationKind ParseKind(string kind) => kind switch
    {
        ConflictKinds.Needs => SerializationKind.Needs,
        ConflictKinds.File => SerializationKind.File,
        ConflictKinds.Folder => SerializationKind.Folder,
        ConflictKinds.SharedFolder => SerializationKind.SharedFolder,
        ConflictKinds.Migration => SerializationKind.Migration,
        _ => throw new ArgumentException($"unknown serialization kind \"{kind}\"; expected one of: {string.Join(", ", ConflictKinds.All)}", nameof(kind)),
    };

    internal static string KindName(SerializationKind kind) => ConflictKinds.All[(int)kind];

    private static RoleJson ToJson(RoleSettings role) => new()
    {
        Provider = role.Provider switch
        {
            "claude" => SquadProvider.Claude,
            "codex" => SquadProvider.Codex,
            _ => throw new ArgumentException($"unknown provider \"{role.Provider}\" for a squad role; expected claude or codex", nameof(role)),
        },
        Model = role.Model,
        ReasoningEffort = role.ReasoningEffort,
    };

    private static SourceNode? ParseSource(string text, string displayFile, List<Diagnostic> diagnostics)
    {
        if (string.IsNullOrWhiteSpace(text.TrimStart('\uFEFF')))
        {
            diagnostics.Add(new Diagnostic(Severity.Error, displayFile, 1, 1, "$", "invalid JSON: the file is empty; a plan.json is a JSON object (make one with: fleet team plan)"));
            return null;
        }

        try
        {
            return SourceJson.Parse(text);
        }
        catch (SourceJsonException ex)
        {
            diagnostics.Add(new Diagnostic(Severity.Error, displayFile, ex.Line, ex.Column, "$", $"invalid JSON: {ex.Message}"));
            return null;
        }
    }
}

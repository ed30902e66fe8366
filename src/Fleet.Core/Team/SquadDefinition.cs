using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Team;

/// <summary>How verdicts and reports name the agent in a role.</summary>
public static class SquadRoles
{
    /// <summary>"codex/gpt-5-codex", or "claude/default" when no model is set.</summary>
    public static string Name(this RoleSettings role)
    {
        ArgumentNullException.ThrowIfNull(role);
        return $"{role.Provider}/{role.Model ?? "default"}";
    }
}

/// <summary>
/// Everything a squad's fleet needs to know about its issue, written once as <c>squad.json</c> in the squad's fleet
/// root when the squad is created; the publish worker and the team runner read it.
/// </summary>
public sealed record SquadDefinition(
    string TeamRun,
    int Issue,
    string Title,
    string IssueUrl,
    string IssueText,
    string Repository,
    string Base,
    string Branch,
    string Worktree,
    ForgeSettingsRecord Forge,
    RoleSettings Developer,
    RoleSettings Reviewer,
    RoleSettings Sdet,
    int MaxIterations,
    int ReviewerLgtmCount,
    decimal? CostCapUsd)
{
    public const string FileName = "squad.json";

    /// <summary>The other issues of the squad's bundle (none: the squad does <see cref="Issue"/> alone); its pull request closes each.</summary>
    public IReadOnlyList<BundledIssue> Bundled { get; init; } = [];

    /// <summary>The checks the publish worker waits for after each publish; null: none (a squad written before checks existed).</summary>
    public ChecksSettings? Checks { get; init; }

    /// <summary>Every issue the squad's pull request closes: its own first, then the bundled ones.</summary>
    [JsonIgnore]
    public IReadOnlyList<int> AllIssues => [Issue, .. Bundled.Select(b => b.Number)];

    public static string PathIn(string squadRoot) => System.IO.Path.Combine(squadRoot, FileName);

    public static SquadDefinition Load(string squadRoot)
    {
        var file = PathIn(squadRoot);
        try
        {
            return JsonSerializer.Deserialize(Paths.InputFiles.ReadText(file, file), TeamJsonContext.Default.SquadDefinition)
                ?? throw new InvalidDataException($"{file}: empty");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{file}: not a squad definition: {e.Message}", e);
        }
    }

    public void Save(string squadRoot) =>
        Doctrine.DoctrineFiles.WriteAtomic(PathIn(squadRoot), JsonSerializer.Serialize(this, TeamJsonContext.Default.SquadDefinition) + "\n");
}

/// <summary>One more issue a bundle's squad does, as its briefs quote it.</summary>
public sealed record BundledIssue(int Number, string Title, string Url, string Text);

/// <summary>The checks of one published head: what they said, and where the checks command's output is kept (local forge).</summary>
public sealed record ChecksRecord(int Iteration, string Head, string Status, IReadOnlyList<ForgeCheckRunRecord> Checks, string? LogFile);

/// <summary>One check in <see cref="ChecksRecord"/>.</summary>
public sealed record ForgeCheckRunRecord(string Name, string Bucket, string? Link);

/// <summary>What the publish worker did in one iteration: the pull request and the head commit it published.</summary>
public sealed record PublishRecord(int Iteration, int PullRequest, string Url, string Head, int Commits, bool Created);

/// <summary>The team runner posted an iteration's verdict (review, SDET report, trailer) on the pull request.</summary>
public sealed record PostedRecord(int Iteration, string Verdict, int PullRequest, string? Head, DateTimeOffset At);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(SquadDefinition))]
[JsonSerializable(typeof(PublishRecord))]
[JsonSerializable(typeof(PostedRecord))]
[JsonSerializable(typeof(ChecksRecord))]
public sealed partial class TeamJsonContext : JsonSerializerContext;

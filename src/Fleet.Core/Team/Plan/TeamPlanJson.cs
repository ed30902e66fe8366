using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using Fleet.Spec;

namespace Fleet.Team;

// plan.json as it is on disk. These types exist for the file alone: the footprint has no "issue" key (it is the
// issue's own number), enums give the schema its allowed values and did-you-means, and created_at stays a string
// so that a bad date is reported at its line instead of failing the whole read.

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class PlanJson
{
    public required int Version { get; set; }

    public required string Repo { get; set; }

    public required string Base { get; set; }

    public required ForgeJson Forge { get; set; }

    public required string CreatedAt { get; set; }

    public List<string> SharedFolders { get; set; } = [];

    public OverlapKind Overlap { get; set; } = OverlapKind.Serialize;

    public required SquadJson Squad { get; set; }

    public ChecksJson Checks { get; set; } = new();

    public int? MaxSquads { get; set; }

    public required List<IssueJson> Issues { get; set; }

    public required List<WaveJson> Waves { get; set; }

    public List<BundleJson> Bundles { get; set; } = [];

    public List<SerializationJson> Serializations { get; set; } = [];

    public List<string> Notes { get; set; } = [];

    public string? Retro { get; set; }

    public string? Doctrine { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class ForgeJson
{
    public required ForgeKind Kind { get; set; }

    public string? Path { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class SquadJson
{
    public required RoleJson Developer { get; set; }

    public required RoleJson Reviewer { get; set; }

    public required RoleJson Sdet { get; set; }

    public int MaxIterations { get; set; } = 3;

    public int ReviewerLgtmCount { get; set; } = 1;

    public decimal? CostCapUsd { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class RoleJson
{
    public required SquadProvider Provider { get; set; }

    public string? Model { get; set; }

    // A string, not the enum: the schema checker's enums do not take null, and null is the provider's default here.
    public string? ReasoningEffort { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class IssueJson
{
    public required int Number { get; set; }

    public required string Title { get; set; }

    public string Url { get; set; } = string.Empty;

    public required FootprintJson Footprint { get; set; }

    public TakenJson? Taken { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class FootprintJson
{
    public List<string> Files { get; set; } = [];

    public List<string> Folders { get; set; } = [];

    public List<string> Migrations { get; set; } = [];

    public List<int> Needs { get; set; } = [];
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class TakenJson
{
    public required string Reason { get; set; }

    public string? Url { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class WaveJson
{
    public required int Wave { get; set; }

    public required List<int> Issues { get; set; }
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class ChecksJson
{
    public string? Command { get; set; }

    public int WaitSeconds { get; set; } = ChecksSettings.DefaultWaitSeconds;
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class BundleJson
{
    public required List<int> Issues { get; set; }

    public List<string> SharedFiles { get; set; } = [];
}

[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed class SerializationJson
{
    public required int Issue { get; set; }

    public required int After { get; set; }

    public required SerializationKind Kind { get; set; }

    public string Detail { get; set; } = string.Empty;

    public string Reason { get; set; } = string.Empty;
}

[JsonConverter(typeof(JsonStringEnumConverter<ForgeKind>))]
internal enum ForgeKind
{
    [JsonStringEnumMemberName(ForgeSettingsRecord.GitHub)] GitHub,
    [JsonStringEnumMemberName(ForgeSettingsRecord.Local)] Local,
}

[JsonConverter(typeof(JsonStringEnumConverter<OverlapKind>))]
internal enum OverlapKind
{
    [JsonStringEnumMemberName(OverlapModes.Bundle)] Bundle,
    [JsonStringEnumMemberName(OverlapModes.Serialize)] Serialize,
}

[JsonConverter(typeof(JsonStringEnumConverter<SquadProvider>))]
internal enum SquadProvider
{
    [JsonStringEnumMemberName("claude")] Claude,
    [JsonStringEnumMemberName("codex")] Codex,
}

[JsonConverter(typeof(JsonStringEnumConverter<SerializationKind>))]
internal enum SerializationKind
{
    [JsonStringEnumMemberName(ConflictKinds.Needs)] Needs,
    [JsonStringEnumMemberName(ConflictKinds.File)] File,
    [JsonStringEnumMemberName(ConflictKinds.Folder)] Folder,
    [JsonStringEnumMemberName(ConflictKinds.SharedFolder)] SharedFolder,
    [JsonStringEnumMemberName(ConflictKinds.Migration)] Migration,
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(PlanJson))]
internal sealed partial class PlanJsonContext : JsonSerializerContext;

/// <summary>The JSON Schema of plan.json, generated from the file's types; <see cref="TeamPlanFile.Load"/> checks structure against it.</summary>
public static class TeamPlanSchema
{
    private static readonly Lazy<JsonObject> Cached = new(() =>
        (JsonObject)PlanJsonContext.Default.PlanJson.GetJsonSchemaAsNode(new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true }));

    /// <summary>The schema, indented, for people and editors.</summary>
    public static string ToJson() => Cached.Value.ToJsonString(JsonText.Indented) + "\n";

    internal static JsonObject Shared => Cached.Value;
}

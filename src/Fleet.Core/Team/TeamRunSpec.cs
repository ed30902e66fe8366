using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Orchestration.Spawning;
using Fleet.Paths;

namespace Fleet.Team;

/// <summary>
/// What a detached team orchestrator runs, written once into the run's folder by <c>team run</c> (as <c>launch.json</c>
/// is for a fleet): the plan's waves and squads' settings, and how squads are launched. A resume reads it again.
/// </summary>
/// <param name="Tmux">How squads' workers run: <c>auto</c>, <c>always</c> or <c>never</c>.</param>
public sealed record TeamRunSpec(string Run, TeamRunSettings Settings, bool Rehearse, string Tmux)
{
    public const string FileName = "team-run.spec.json";

    public static string PathIn(string runDir) => Path.Combine(runDir, FileName);

    public static string TmuxName(TmuxPreference preference) => preference switch
    {
        TmuxPreference.Always => "always",
        TmuxPreference.Never => "never",
        _ => "auto",
    };

    [JsonIgnore]
    public TmuxPreference TmuxPreference => Tmux switch
    {
        "always" => TmuxPreference.Always,
        "never" => TmuxPreference.Never,
        _ => TmuxPreference.Auto,
    };

    public void Save(string runDir)
    {
        PrivateFiles.CreateDirectory(runDir);
        Doctrine.DoctrineFiles.WriteAtomic(PathIn(runDir), JsonSerializer.Serialize(this, TeamRunSpecJsonContext.Default.TeamRunSpec) + "\n");
    }

    /// <exception cref="InvalidDataException">The file is missing or not a team run's spec.</exception>
    public static TeamRunSpec Load(string runDir)
    {
        var path = PathIn(runDir);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), TeamRunSpecJsonContext.Default.TeamRunSpec)
                ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: not a team run ({e.Message})", e);
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(TeamRunSpec))]
public sealed partial class TeamRunSpecJsonContext : JsonSerializerContext;

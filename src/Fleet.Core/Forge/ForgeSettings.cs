using System.Text.Json.Serialization;

namespace Fleet.Forge;

/// <summary>Where a team keeps its issues and pull requests.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ForgeKind>))]
public enum ForgeKind
{
    /// <summary>GitHub, through the gh CLI.</summary>
    [JsonStringEnumMemberName("github")]
    GitHub,

    /// <summary>A folder of JSON records beside a local git repository (offline).</summary>
    [JsonStringEnumMemberName("local")]
    Local,
}

/// <summary>
/// Which forge to open. <see cref="Path"/>: for <c>local</c>, the forge's folder (relative paths are from the
/// repository); for <c>github</c>, optionally the gh program to run instead of <c>gh</c> on PATH.
/// </summary>
public sealed record ForgeSettings(ForgeKind Kind, string? Path = null)
{
    public static ForgeSettings GitHub { get; } = new(ForgeKind.GitHub);

    /// <summary>Reads a kind as people write it ("github", "local"); throws <see cref="ForgeException"/> naming the choices.</summary>
    public static ForgeSettings Parse(string kind, string? path = null) => kind?.Trim().ToLowerInvariant() switch
    {
        "github" or "gh" => new ForgeSettings(ForgeKind.GitHub, path),
        "local" => new ForgeSettings(ForgeKind.Local, path),
        _ => throw new ForgeException($"unknown forge kind '{kind}': use github or local"),
    };
}

/// <summary>Opens the forge that settings name, for one repository.</summary>
public static class ForgeFactory
{
    public static IForge Open(ForgeSettings settings, string repositoryDir, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrEmpty(repositoryDir);
        var time = timeProvider ?? TimeProvider.System;
        return settings.Kind switch
        {
            ForgeKind.GitHub => new GhForge(repositoryDir, new GhForgeOptions
            {
                Executable = string.IsNullOrEmpty(settings.Path) ? "gh" : settings.Path,
                TimeProvider = time,
            }),
            ForgeKind.Local when !string.IsNullOrEmpty(settings.Path) => new LocalForge(
                System.IO.Path.GetFullPath(settings.Path, System.IO.Path.GetFullPath(repositoryDir)),
                repositoryDir,
                new LocalForgeOptions { TimeProvider = time }),
            ForgeKind.Local => throw new ForgeException("a local forge needs the path of its folder (issues/ and pulls/ live there)"),
            _ => throw new ForgeException($"unknown forge kind {settings.Kind}"),
        };
    }
}

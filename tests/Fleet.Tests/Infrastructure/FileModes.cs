using System.Runtime.Versioning;

namespace Fleet.Tests.Infrastructure;

/// <summary>Unix modes of what a run left on disk.</summary>
[UnsupportedOSPlatform("windows")]
internal static class FileModes
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Each place and everything under it (symlinks are not followed), with its mode.</summary>
    public static IReadOnlyList<(string Path, UnixFileMode Mode)> Walk(params string[] places)
    {
        var found = new List<(string, UnixFileMode)>();
        foreach (var place in places.Where(Path.Exists))
        {
            found.Add((place, File.GetUnixFileMode(place)));
            if (Directory.Exists(place) && (File.GetAttributes(place) & FileAttributes.ReparsePoint) == 0)
            {
                var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
                foreach (var entry in new DirectoryInfo(place).EnumerateFileSystemInfos("*", options))
                {
                    if (entry.LinkTarget is null)
                        found.Add((entry.FullName, entry.UnixFileMode));
                }
            }
        }

        return found;
    }

    /// <summary>Fails naming every file or folder under <paramref name="places"/> that group or others can use.</summary>
    public static void ShouldAllBePrivate(params string[] places) => ShouldAllBePrivate(places, _ => false);

    /// <summary>
    /// <see cref="ShouldAllBePrivate(string[])"/>, but what <paramref name="agentMade"/> picks out (what an agent created in
    /// its own config folder) may keep the agent's modes: it is behind fleet's private folders, which are still checked.
    /// </summary>
    public static void ShouldAllBePrivate(string[] places, Func<string, bool> agentMade)
    {
        var walked = Walk(places).Where(e => !agentMade(e.Path)).ToList();
        walked.Count.ShouldBeGreaterThan(places.Count(Path.Exists), "nothing under the places was walked");
        var shared = walked.Where(e => (e.Mode & GroupOrOther) != 0).Select(e => $"{Octal(e.Mode)} {e.Path}").ToList();
        shared.ShouldBeEmpty($"readable by group or others:\n{string.Join('\n', shared)}");
    }

    public static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    /// <summary>The test process runs under umask 022: a plain new file is 0644, so a private file proves fleet made it so.</summary>
    public static void UmaskShouldBe022(string dir)
    {
        var probe = Path.Combine(dir, $"umask-probe-{Guid.NewGuid():N}");
        File.WriteAllText(probe, "x");
        try
        {
            Octal(File.GetUnixFileMode(probe)).ShouldBe("0644", "these tests need the process umask 022 (run them under `umask 022`)");
        }
        finally
        {
            File.Delete(probe);
        }
    }
}

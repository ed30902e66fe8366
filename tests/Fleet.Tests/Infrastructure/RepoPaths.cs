namespace Fleet.Tests.Infrastructure;

/// <summary>Files of the repository the tests read in place (examples, docs), and the shared reference folder beside it.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Examples => Path.Combine(Root, "examples");

    public static string Docs => Path.Combine(Root, "docs");

    /// <summary>The built fleet CLI (framework-dependent dll), for tests that run it as a real process.</summary>
    public static string FleetDll => Path.Combine(AppContext.BaseDirectory, "fleet.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "fleet.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"fleet.slnx not found above {AppContext.BaseDirectory}");
    }
}

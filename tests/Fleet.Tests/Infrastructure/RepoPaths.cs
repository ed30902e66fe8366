namespace Fleet.Tests.Infrastructure;

/// <summary>Files of the repository the tests read in place (examples, docs), and the shared reference folder beside it.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Examples => Path.Combine(Root, "examples");

    public static string Docs => Path.Combine(Root, "docs");

    /// <summary>The built fleet CLI (framework-dependent dll).</summary>
    public static string FleetDll => Path.Combine(AppContext.BaseDirectory, "fleet.dll");

    /// <summary>
    /// The native (ahead-of-time compiled) executable the test script publishes, as the CLI ships on linux-x64
    /// (<c>FLEET_NATIVE</c>; null when the tests run without it, as from an IDE).
    /// </summary>
    public static string? Native => Environment.GetEnvironmentVariable("FLEET_NATIVE") is { Length: > 0 } path ? path : null;

    /// <summary>The CLI for tests that run it as a real process, and for <c>FLEET_COMMAND</c>: the native build when there is one, else the dll.</summary>
    public static string FleetCommand => Native ?? FleetDll;

    /// <summary>The argv that runs <see cref="FleetCommand"/>.</summary>
    public static IReadOnlyList<string> FleetArgv => Native is { } native ? [native] : ["dotnet", FleetDll];

    /// <summary>A process start of <see cref="FleetArgv"/> with <paramref name="args"/>, its output redirected.</summary>
    public static System.Diagnostics.ProcessStartInfo FleetProcess(string workingDirectory, params IEnumerable<string> args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(FleetArgv[0]) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in FleetArgv.Skip(1).Concat(args))
        {
            psi.ArgumentList.Add(arg);
        }

        return psi;
    }

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

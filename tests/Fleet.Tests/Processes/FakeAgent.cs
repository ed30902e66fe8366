namespace Fleet.Tests.Processes;

/// <summary>The built dummy agent (tests/Fleet.FakeAgent), found next to this test assembly's output.</summary>
public static class FakeAgent
{
    private static readonly Lazy<string> AppHost = new(Locate);

    /// <summary>argv for a fake-agent run: the apphost, then the steps.</summary>
    public static string[] Argv(params string[] steps) => [AppHost.Value, .. steps];

    public static string Path => AppHost.Value;

    private static string Locate()
    {
        // tests/Fleet.Tests/bin/<Configuration>/<tfm>/ → tests/Fleet.FakeAgent/bin/<Configuration>/<tfm>/fake-agent
        var testsOut = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var tfm = testsOut.Name;
        var configuration = testsOut.Parent!.Name;
        var testsDir = testsOut.Parent.Parent!.Parent!.Parent!.FullName;
        var candidate = System.IO.Path.Combine(testsDir, "Fleet.FakeAgent", "bin", configuration, tfm, "fake-agent");
        return File.Exists(candidate)
            ? candidate
            : throw new FileNotFoundException($"The fake agent was not built at {candidate}; build tests/Fleet.Tests (it references Fleet.FakeAgent).");
    }
}

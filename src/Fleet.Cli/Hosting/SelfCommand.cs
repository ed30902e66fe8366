namespace Fleet.Cli.Hosting;

/// <summary>
/// The argv that runs this fleet again (the detached orchestrator, the worker shims). An installed tool runs
/// as its apphost; a local tool or <c>dotnet fleet.dll</c> runs under the dotnet host, with the dll first in
/// the command line. <c>FLEET_COMMAND</c> (a fleet.dll or an executable) overrides it, which in-process tests use.
/// </summary>
internal static class SelfCommand
{
    public static IReadOnlyList<string> Argv(ICliConsole console)
    {
        if (console.GetEnvironmentVariable("FLEET_COMMAND") is { Length: > 0 } configured)
        {
            return configured.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? [DotnetHost(), configured] : [configured];
        }

        var process = Environment.ProcessPath ?? throw new CliException("cannot tell where fleet runs from (no process path); set FLEET_COMMAND", ExitCodes.Internal);
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, Path.GetFullPath(Environment.GetCommandLineArgs()[0])]
            : [process];
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
}

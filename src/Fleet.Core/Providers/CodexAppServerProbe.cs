using System.Collections.Concurrent;
using Fleet.Processes;

namespace Fleet.Providers;

/// <summary>
/// Whether a codex has <c>app-server</c>: fleet runs codex workers under it (gates, steering) and falls back to
/// <c>codex exec</c> only where it is missing. Asked once per program path in a process.
/// </summary>
public static class CodexAppServerProbe
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<string, Task<bool>> Known = new(StringComparer.Ordinal);

    /// <summary>True when <c>CODEX app-server --help</c> succeeds.</summary>
    public static Task<bool> HasAppServerAsync(string codex, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(codex);
        return Known.GetOrAdd(codex, AskAsync).WaitAsync(cancellationToken);
    }

    private static async Task<bool> AskAsync(string codex)
    {
        var result = await new CommandRunner(codex)
            .WithArguments(["app-server", "--help"])
            .WithTimeout(Deadline, null)
            .ExecuteBufferedAsync(CancellationToken.None);
        return result.Succeeded;
    }

    /// <summary>One line for <c>fleet doctor</c> and <c>fleet launch --dry-run</c>.</summary>
    public static string Describe(bool appServer) => appServer
        ? "codex workers run under codex app-server (fleet's gates and fleet say reach them)"
        : "codex workers run as codex exec: this codex has no app-server, so its commands pass no fleet gate and fleet say cannot reach it";
}

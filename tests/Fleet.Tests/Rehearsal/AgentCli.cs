using System.Diagnostics;
using System.Text.Json;
using Fleet.Rehearsal;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Rehearsal;

/// <summary>Runs a real agent CLI against the rehearsal endpoint: argv array, stdin closed, own HOME, bounded wait.</summary>
internal static class AgentCli
{
    public static string RequireOrSkip(string name)
    {
        var path = AgentCliLocator.Find(name);
        if (path is null)
        {
            Assert.Skip($"SKIPPED, NOT PASSED: the real '{name}' CLI is missing. {AgentCliLocator.MissingMessage(name)}");
        }

        return path;
    }

    public static async Task<AgentRunResult> RunAsync(string exe, IEnumerable<string> args, string cwd, RehearsalEnvironment env, string home, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? bound = null)
    {
        var psi = new ProcessStartInfo(exe)
        {
            WorkingDirectory = cwd,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Directory.CreateDirectory(home);
        psi.Environment["HOME"] = home;
        psi.Environment["TERM"] = "dumb";
        env.ApplyTo(psi);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        process.StandardInput.Close(); // as </dev/null: codex would otherwise read stdin into the prompt
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(bound ?? TestTimeouts.Slow, TestContext.Current.CancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // only the process this test started, and its children
            throw;
        }

        var result = new AgentRunResult(process.ExitCode, await stdout.DefaultTimeout(), await stderr.DefaultTimeout());
        TestContext.Current.TestOutputHelper?.WriteLine($"$ {exe} {string.Join(' ', psi.ArgumentList)}\n{result}");
        return result;
    }
}

internal sealed record AgentRunResult(int ExitCode, string Stdout, string Stderr)
{
    public IEnumerable<JsonElement> Events =>
        Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.TrimStart().StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement);

    /// <summary>Claude's final <c>result</c> event.</summary>
    public JsonElement Result => Events.Last(e => e.GetProperty("type").GetString() == "result");

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

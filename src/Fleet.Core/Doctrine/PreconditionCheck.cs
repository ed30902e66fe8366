using Fleet.Processes;

namespace Fleet.Doctrine;

/// <summary>A precondition that did not hold, with what its check printed.</summary>
public sealed record FailedPrecondition(Precondition Precondition, CommandResult Result)
{
    /// <summary>For the person: the precondition's text, where it came from, the check run and what it printed.</summary>
    public string Describe()
    {
        var printed = (Result.Stdout + Result.Stderr).Trim();
        return $"precondition failed: {Precondition.Text} ({Precondition.Source}); " +
            $"$ {Providers.ShellQuote.Join(Precondition.Check)} exited {Result.ExitCode}" + (printed.Length > 0 ? $": {printed}" : "");
    }
}

/// <summary>Runs the step-0 preconditions before a launch: argv, cwd = the fleet root, stdin closed, a short deadline.</summary>
public static class PreconditionCheck
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>The first precondition that fails, or null when all hold (or there are none).</summary>
    public static async Task<FailedPrecondition?> FirstFailureAsync(string root, IReadOnlyList<Precondition> preconditions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(preconditions);
        foreach (var precondition in preconditions)
        {
            var result = await CommandRunner.For(precondition.Check).WithWorkingDirectory(root).WithTimeout(Timeout).ExecuteBufferedAsync(cancellationToken);
            if (!result.Succeeded)
            {
                return new FailedPrecondition(precondition, result);
            }
        }

        return null;
    }
}

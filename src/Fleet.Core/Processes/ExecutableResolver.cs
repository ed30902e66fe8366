namespace Fleet.Processes;

/// <summary>Finds the program of an argv the way execvp would, so a missing one fails before anything starts.</summary>
internal static class ExecutableResolver
{
    /// <summary>The full path of <paramref name="program"/>, or an <see cref="AgentStartException"/> naming it.</summary>
    public static string Resolve(string program, string workingDirectory, string? path)
    {
        if (string.IsNullOrEmpty(program))
        {
            throw new AgentStartException("Cannot start an agent with an empty program name (argv[0]).");
        }

        if (program.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(program, workingDirectory);
            return IsExecutableFile(full)
                ? full
                : throw new AgentStartException(File.Exists(full)
                    ? $"Cannot start agent '{program}': {full} is not executable (check its mode bits)."
                    : $"Cannot start agent '{program}': {full} does not exist.");
        }

        foreach (var dir in (path ?? string.Empty).Split(':'))
        {
            // An empty PATH entry means the current directory, as for execvp.
            var candidate = Path.Combine(dir.Length == 0 ? workingDirectory : Path.GetFullPath(dir, workingDirectory), program);
            if (IsExecutableFile(candidate))
            {
                return candidate;
            }
        }

        throw new AgentStartException($"Cannot start agent '{program}': it was not found on PATH ({path}). Install it, or give its full path.");
    }

    private static bool IsExecutableFile(string path)
    {
        try
        {
            if (!File.Exists(path) || OperatingSystem.IsWindows())
            {
                return File.Exists(path);
            }

            const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            return (File.GetUnixFileMode(path) & anyExecute) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

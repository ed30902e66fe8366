using System.Diagnostics;

namespace Fleet.Processes;

/// <summary>Environment changes for a child process: a value sets a variable, null removes it (CliWrap's convention).</summary>
public static class EnvironmentChanges
{
    public static void ApplyTo(ProcessStartInfo startInfo, IEnumerable<KeyValuePair<string, string?>>? changes)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        foreach (var (name, value) in changes ?? [])
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Fleet.Rehearsal;

/// <summary>
/// The API key fleet gives each rehearsed worker: <c>rehearsal:&lt;fleet&gt;:&lt;worker&gt;:&lt;iteration&gt;</c>.
/// The rehearsal endpoint routes every model call to a script by it. Ids never contain ':'.
/// </summary>
public sealed record RehearsalKey(string Fleet, string Worker, int Iteration)
{
    public const string Prefix = "rehearsal";

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}:{Fleet}:{Worker}:{Iteration}");

    /// <summary>Builds a key; throws when an id is empty or contains ':' or the iteration is below 1.</summary>
    public static RehearsalKey Create(string fleet, string worker, int iteration)
    {
        CheckId(fleet, nameof(fleet));
        CheckId(worker, nameof(worker));
        ArgumentOutOfRangeException.ThrowIfLessThan(iteration, 1);
        return new RehearsalKey(fleet, worker, iteration);
    }

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out RehearsalKey? key)
    {
        key = null;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var parts = text.Split(':');
        if (parts.Length != 4 || parts[0] != Prefix || parts[1].Length == 0 || parts[2].Length == 0)
        {
            return false;
        }

        if (!int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var iteration) || iteration < 1)
        {
            return false;
        }

        key = new RehearsalKey(parts[1], parts[2], iteration);
        return true;
    }

    private static void CheckId(string id, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(id, name);
        if (id.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"a rehearsal id cannot contain ':' (got '{id}')", name);
        }
    }
}

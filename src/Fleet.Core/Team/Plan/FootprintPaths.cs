namespace Fleet.Team;

/// <summary>
/// Footprint paths in one form, so that comparing them is comparing strings: repository-relative, '/' separated,
/// no "./" segments, and a folder ends with '/'. Paths that leave the repository are refused, not guessed at.
/// </summary>
public static class FootprintPaths
{
    /// <summary>The normal form of a file (<paramref name="folder"/> false) or folder path; throws <see cref="PlanException"/> naming the problem.</summary>
    public static string Normalize(string path, bool folder) =>
        TryNormalize(path, folder, out var normalized, out var error) ? normalized : throw new PlanException(error);

    /// <summary>The normal form, or false with a sentence saying what is wrong with the path and what to write instead.</summary>
    public static bool TryNormalize(string? path, bool folder, out string normalized, out string error)
    {
        normalized = string.Empty;
        error = string.Empty;
        var shown = Quote(path ?? string.Empty);
        var text = (path ?? string.Empty).Trim().Replace('\\', '/');
        if (text.Length == 0)
        {
            error = "an empty path; name a file (src/app.cs) or a folder (src/api/)";
            return false;
        }

        if (text.StartsWith('/') || text.StartsWith('~') || (text.Length >= 2 && char.IsAsciiLetter(text[0]) && text[1] == ':'))
        {
            error = $"{shown} is an absolute path; footprint paths are relative to the repository root, e.g. src/app.cs";
            return false;
        }

        var segments = text.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToList();
        if (segments.Contains(".."))
        {
            error = $"{shown} contains \"..\"; footprint paths stay inside the repository and are relative to its root";
            return false;
        }

        if (segments.Count == 0)
        {
            error = $"{shown} names the whole repository; list the files or folders the issue changes";
            return false;
        }

        if (segments.FindIndex(s => s.Contains('*', StringComparison.Ordinal)) is var wild and >= 0)
        {
            var holder = wild == 0 ? "a folder" : string.Join('/', segments.Take(wild)) + "/";
            error = $"{shown} is a pattern; list the files, or the folder that holds them ({holder})";
            return false;
        }

        if (!folder && text.EndsWith('/'))
        {
            error = $"{shown} ends with '/', so it is a folder: list it under folders";
            return false;
        }

        normalized = string.Join('/', segments) + (folder ? "/" : string.Empty);
        return true;
    }

    /// <summary>
    /// The footprint with every path in normal form, each list sorted (ordinal) and without duplicates; throws
    /// <see cref="PlanException"/> with every bad path, each prefixed by the issue ("#3: files[1]: ...").
    /// </summary>
    public static IssueFootprint Normalize(IssueFootprint footprint)
    {
        ArgumentNullException.ThrowIfNull(footprint);
        var problems = new List<string>();
        if (footprint.Issue < 1)
        {
            problems.Add($"#{footprint.Issue}: an issue number is 1 or more");
        }

        var files = NormalizeAll(footprint.Files, folder: false, $"#{footprint.Issue}: files", problems);
        var folders = NormalizeAll(footprint.Folders, folder: true, $"#{footprint.Issue}: folders", problems);
        var migrations = new List<string>();
        for (var i = 0; i < (footprint.Migrations?.Count ?? 0); i++)
        {
            if (string.IsNullOrWhiteSpace(footprint.Migrations![i]))
            {
                problems.Add($"#{footprint.Issue}: migrations[{i}]: an empty migration; name the migration or schema change");
            }
            else
            {
                migrations.Add(footprint.Migrations[i].Trim());
            }
        }

        if (problems.Count > 0)
        {
            throw new PlanException(problems);
        }

        return new IssueFootprint(
            footprint.Issue,
            files,
            folders,
            [.. migrations.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            [.. (footprint.Needs ?? []).Distinct().Order()]);
    }

    /// <summary>Shared folders in normal form, sorted, without duplicates; throws <see cref="PlanException"/> with every bad one.</summary>
    public static IReadOnlyList<string> NormalizeFolders(IReadOnlyList<string> folders, string label = "shared_folders")
    {
        var problems = new List<string>();
        var result = NormalizeAll(folders, folder: true, label, problems);
        return problems.Count > 0 ? throw new PlanException(problems) : result;
    }

    /// <summary>True when <paramref name="path"/> (a file or folder in normal form) is inside <paramref name="folder"/> or is that folder.</summary>
    public static bool IsWithin(string path, string folder)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(folder);
        return path.StartsWith(folder, StringComparison.Ordinal);
    }

    private static List<string> NormalizeAll(IReadOnlyList<string>? paths, bool folder, string label, List<string> problems)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (paths?.Count ?? 0); i++)
        {
            if (TryNormalize(paths![i], folder, out var normalized, out var error))
            {
                result.Add(normalized);
            }
            else
            {
                problems.Add($"{label}[{i}]: {error}");
            }
        }

        return [.. result];
    }

    private static string Quote(string path) => $"\"{path}\"";
}

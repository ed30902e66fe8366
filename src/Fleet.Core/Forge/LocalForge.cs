using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Fleet.Doctrine;
using Fleet.Worktrees;

namespace Fleet.Forge;

/// <summary>How <see cref="LocalForge"/> records who did what, and how long it waits for its lock.</summary>
public sealed record LocalForgeOptions
{
    /// <summary>The author of the pull requests, reviews, comments and issues this forge writes.</summary>
    public string Author { get; init; } = string.IsNullOrEmpty(Environment.UserName) ? "fleet" : Environment.UserName;

    /// <summary>How long a write waits for another process that holds the forge's lock.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public GitCli Git { get; init; } = GitCli.Default;
}

/// <summary>
/// Issues and pull requests as JSON files in a folder, for offline use: <c>issues/&lt;n&gt;.json</c> and
/// <c>pulls/&lt;n&gt;.json</c>, numbers shared between the two like GitHub's. Pull requests are branches of a real
/// git repository: a head commit is read live from the branch, and a merge is a real <c>git merge --no-ff</c>.
/// Every write holds <c>.lock</c> (an OS lock, so two processes never allocate the same number) and replaces
/// whole files (temp + rename), so a reader never sees half a record.
/// </summary>
public sealed partial class LocalForge : IForge
{
    public const string IssuesFolder = "issues";
    public const string PullsFolder = "pulls";
    public const string LockFile = ".lock";

    private static readonly LocalForgeJsonContext Json = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private readonly LocalForgeOptions _options;

    public LocalForge(string forgeDir, string repositoryDir, LocalForgeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(forgeDir);
        ArgumentException.ThrowIfNullOrEmpty(repositoryDir);
        ForgeDir = Path.GetFullPath(forgeDir);
        RepositoryDir = Path.GetFullPath(repositoryDir);
        _options = options ?? new LocalForgeOptions();
    }

    public string ForgeDir { get; }

    public string RepositoryDir { get; }

    public string Description => $"local forge {ForgeDir}";

    private string IssuesDir => Path.Combine(ForgeDir, IssuesFolder);

    private string PullsDir => Path.Combine(ForgeDir, PullsFolder);

    private GitCli Git => _options.Git;

    private DateTimeOffset Now => _options.TimeProvider.GetUtcNow();

    /// <summary>Makes an empty local forge at <paramref name="forgeDir"/> (both folders); nothing is lost if it exists.</summary>
    public static void Create(string forgeDir)
    {
        Directory.CreateDirectory(Path.Combine(forgeDir, IssuesFolder));
        Directory.CreateDirectory(Path.Combine(forgeDir, PullsFolder));
    }

    public async Task<ForgeCheck> CheckAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(ForgeDir))
        {
            return new ForgeCheck(false, $"no local forge at {ForgeDir}; create it with: mkdir -p {ForgeDir}/{IssuesFolder} {ForgeDir}/{PullsFolder}");
        }

        var git = Directory.Exists(RepositoryDir)
            ? await Git.RunAsync(RepositoryDir, ["rev-parse", "--git-dir"], cancellationToken)
            : null;
        return git is { Succeeded: true }
            ? new ForgeCheck(true, $"local forge {ForgeDir} for the repository {RepositoryDir}")
            : new ForgeCheck(false, $"local forge {ForgeDir}: {RepositoryDir} is not a git repository, and its pull requests are branches of one");
    }

    public async Task<IReadOnlyList<ForgeIssue>> ListIssuesAsync(IssueQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var issues = new List<ForgeIssue>();
        foreach (var number in Numbers(IssuesDir).OrderDescending())
        {
            var issue = ToIssue(number, await ReadIssueAsync(number, cancellationToken));
            var stateMatches = query.State == IssueState.All || issue.State == query.State;
            var labelMatches = query.Label is not { Length: > 0 } label || issue.Labels.Contains(label, StringComparer.OrdinalIgnoreCase);
            var numberMatches = query.Numbers is null || query.Numbers.Contains(number);
            if (stateMatches && labelMatches && numberMatches)
            {
                issues.Add(issue);
            }
        }

        return issues;
    }

    public async Task<ForgeIssue> GetIssueAsync(int number, CancellationToken cancellationToken) =>
        ToIssue(number, await ReadIssueAsync(number, cancellationToken));

    public async Task<IReadOnlyList<ForgePullRequest>> ListOpenPullRequestsAsync(CancellationToken cancellationToken)
    {
        var pulls = new List<ForgePullRequest>();
        foreach (var number in Numbers(PullsDir).OrderDescending())
        {
            var record = await ReadPullAsync(number, cancellationToken);
            if (PullState(record) == PullRequestStates.Open)
            {
                // From a list, as from gh: no reviews.
                pulls.Add(await ToPullRequestAsync(number, record, cancellationToken) with { Reviews = [] });
            }
        }

        return pulls;
    }

    public async Task<ForgePullRequest> GetPullRequestAsync(int number, CancellationToken cancellationToken) =>
        await ToPullRequestAsync(number, await ReadPullAsync(number, cancellationToken), cancellationToken);

    public async Task<ForgePullRequest> CreatePullRequestAsync(NewPullRequest pullRequest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pullRequest);
        var (head, @base) = (pullRequest.Head, pullRequest.Base);
        if (await HeadShaAsync(head, cancellationToken) is null)
        {
            throw new ForgeException($"cannot open a pull request from {head}: there is no branch {head} in {RepositoryDir}");
        }

        if (await HeadShaAsync(@base, cancellationToken) is null)
        {
            throw new ForgeException($"cannot open a pull request into {@base}: there is no branch {@base} in {RepositoryDir}");
        }

        var ahead = await Git.OutputAsync(RepositoryDir, ["rev-list", "--count", $"refs/heads/{@base}..refs/heads/{head}"], cancellationToken);
        if (ahead == "0")
        {
            throw new ForgeException($"cannot open a pull request from {head} into {@base}: no commits between {@base} and {head}");
        }

        var number = await WithLockAsync(
            async () =>
            {
                foreach (var open in Numbers(PullsDir))
                {
                    var existing = await ReadPullAsync(open, cancellationToken);
                    if (PullState(existing) == PullRequestStates.Open && existing.Head == head && existing.Base == @base)
                    {
                        throw new ForgeException($"a pull request for branch {head} into branch {@base} already exists: #{open} ({PullPath(open)})");
                    }
                }

                var next = NextNumber();
                WritePull(next, new LocalPullRecord
                {
                    Number = next,
                    Title = pullRequest.Title,
                    Body = pullRequest.Body,
                    Head = head,
                    Base = @base,
                    State = "open",
                    Author = _options.Author,
                    CreatedAt = Now,
                    Reviews = [],
                    Comments = [],
                });
                return next;
            },
            cancellationToken);
        return await GetPullRequestAsync(number, cancellationToken);
    }

    public Task EditPullRequestBodyAsync(int number, string body, CancellationToken cancellationToken) =>
        UpdatePullAsync(number, (record, _) => { record.Body = body; return Task.CompletedTask; }, cancellationToken);

    public Task ReviewPullRequestAsync(int number, ReviewState state, string body, CancellationToken cancellationToken) =>
        UpdatePullAsync(
            number,
            async (record, ct) =>
            {
                RequireOpen(number, record, "review");
                (record.Reviews ??= []).Add(new LocalReviewRecord
                {
                    Author = _options.Author,
                    State = state switch
                    {
                        ReviewState.Approved => "approved",
                        ReviewState.ChangesRequested => "changes_requested",
                        _ => "commented",
                    },
                    Body = body,
                    CommitSha = await HeadShaAsync(record.Head ?? "", ct),
                    SubmittedAt = Now,
                });
            },
            cancellationToken);

    public Task CommentOnPullRequestAsync(int number, string body, CancellationToken cancellationToken) =>
        UpdatePullAsync(
            number,
            (record, _) =>
            {
                (record.Comments ??= []).Add(new LocalCommentRecord { Author = _options.Author, Body = body, CreatedAt = Now });
                return Task.CompletedTask;
            },
            cancellationToken);

    public async Task<IReadOnlyList<ForgeCheckRun>> GetChecksAsync(int number, CancellationToken cancellationToken)
    {
        var record = await ReadPullAsync(number, cancellationToken);
        var head = record.HeadSha ?? await HeadShaAsync(record.Head ?? "", cancellationToken);
        return [.. (record.Checks ?? []).Where(c => head is not null && string.Equals(c.Head, head, StringComparison.OrdinalIgnoreCase))
            .Select(c => new ForgeCheckRun(c.Name ?? "check", c.Bucket ?? ForgeCheckRun.Pending, c.Link, c.Log))];
    }

    /// <summary>Records a check's result for head commit <paramref name="head"/>, replacing an earlier result of the same check for that head.</summary>
    public Task RecordCheckAsync(int number, string head, ForgeCheckRun check, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        return UpdatePullAsync(
            number,
            (record, _) =>
            {
                var checks = record.Checks ??= [];
                checks.RemoveAll(c => c.Name == check.Name && string.Equals(c.Head, head, StringComparison.OrdinalIgnoreCase));
                checks.Add(new LocalCheckRecord { Name = check.Name, Bucket = check.Bucket, Head = head, Log = check.Log, Link = check.Link, At = Now });
                return Task.CompletedTask;
            },
            cancellationToken);
    }

    public Task SetPullRequestBaseAsync(int number, string baseBranch, CancellationToken cancellationToken) =>
        UpdatePullAsync(
            number,
            async (record, ct) =>
            {
                RequireOpen(number, record, "retarget");
                if (await HeadShaAsync(baseBranch, ct) is null)
                {
                    throw new ForgeException($"cannot point pull request #{number} at {baseBranch}: no such branch in {RepositoryDir}");
                }

                record.Base = baseBranch;
            },
            cancellationToken);

    public async Task MergePullRequestAsync(int number, string expectedHeadSha, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(expectedHeadSha);
        await WithLockAsync(
            async () =>
            {
                var record = await ReadPullAsync(number, cancellationToken);
                RequireOpen(number, record, "merge");
                var (head, @base) = (record.Head ?? "", record.Base ?? "");
                var actual = await HeadShaAsync(head, cancellationToken);
                if (actual is null)
                {
                    throw new ForgeException($"refusing to merge pull request #{number}: its head branch {head} no longer exists in {RepositoryDir} (expected it at {expectedHeadSha})");
                }

                if (!string.Equals(actual, expectedHeadSha, StringComparison.OrdinalIgnoreCase))
                {
                    throw new ForgeException($"refusing to merge pull request #{number}: its head {head} is now {actual}, not the expected {expectedHeadSha} (it changed after approval)");
                }

                await RequireBaseCheckedOutAndCleanAsync(number, @base, cancellationToken);

                // Merge the approved commit itself, not the branch name: the branch may move between the check and the merge.
                var message = $"Merge pull request #{number} from {head}\n\n{record.Title}";
                var merge = await Git.RunAsync(RepositoryDir, ["merge", "--no-ff", "--no-edit", "-m", message, actual], cancellationToken);
                if (!merge.Succeeded)
                {
                    await Git.RunAsync(RepositoryDir, ["merge", "--abort"], CancellationToken.None);
                    throw new ForgeException($"cannot merge pull request #{number} ({head} into {@base}) in {RepositoryDir}: {GitCli.Failure(merge).Message}; the merge was aborted");
                }

                var now = Now;
                record.State = "merged";
                record.HeadSha = actual;
                record.MergedAt = now;
                record.MergeCommit = await Git.OutputAsync(RepositoryDir, ["rev-parse", "HEAD"], cancellationToken);
                WritePull(number, record);
                foreach (var closes in ClosingIssues(record.Body))
                {
                    if (File.Exists(IssuePath(closes)))
                    {
                        var issue = await ReadIssueAsync(closes, cancellationToken);
                        if (IssueStateOf(issue) == IssueState.Open)
                        {
                            issue.State = "closed";
                            issue.ClosedAt = now;
                            issue.ClosedBy = number;
                            WriteIssue(closes, issue);
                        }
                    }
                }

                return 0;
            },
            cancellationToken);
    }

    public Task<ForgeIssue> CreateIssueAsync(string title, string body, IReadOnlyList<string> labels, CancellationToken cancellationToken) =>
        AddIssueAsync(title, body, labels, cancellationToken);

    /// <summary>Writes a new open issue (making the forge's folders if needed): for tests and scaffolding a backlog.</summary>
    public async Task<ForgeIssue> AddIssueAsync(string title, string body, IReadOnlyList<string>? labels = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        Create(ForgeDir);
        var number = await WithLockAsync(
            () =>
            {
                var next = NextNumber();
                WriteIssue(next, new LocalIssueRecord
                {
                    Number = next,
                    Title = title,
                    Body = body,
                    Labels = [.. labels ?? []],
                    State = "open",
                    Author = _options.Author,
                    CreatedAt = Now,
                    Comments = [],
                });
                return Task.FromResult(next);
            },
            cancellationToken);
        return await GetIssueAsync(number, cancellationToken);
    }

    /// <summary>Adds a comment to an issue, as <paramref name="author"/>: for tests and scaffolding.</summary>
    public Task AddIssueCommentAsync(int number, string author, string body, CancellationToken cancellationToken = default) =>
        WithLockAsync(
            async () =>
            {
                var issue = await ReadIssueAsync(number, cancellationToken);
                (issue.Comments ??= []).Add(new LocalCommentRecord { Author = author, Body = body, CreatedAt = Now });
                WriteIssue(number, issue);
                return 0;
            },
            cancellationToken);

    /// <summary>
    /// The issue numbers a body closes: GitHub's keywords (close, closes, closed, fix, fixes, fixed, resolve, resolves,
    /// resolved) before <c>#n</c>. A pull request links only those that are issues of this forge, as GitHub does.
    /// </summary>
    public static IReadOnlyList<int> ClosingIssues(string? body) =>
        [.. ClosingPattern().Matches(body ?? "").Select(m => int.Parse(m.Groups["number"].Value, CultureInfo.InvariantCulture)).Distinct()];

    private static void RequireOpen(int number, LocalPullRecord record, string what)
    {
        var state = PullState(record);
        if (state != PullRequestStates.Open)
        {
            throw new ForgeException($"cannot {what} pull request #{number}: it is {state.ToLowerInvariant()}");
        }
    }

    private async Task RequireBaseCheckedOutAndCleanAsync(int number, string @base, CancellationToken cancellationToken)
    {
        var current = await Git.RunAsync(RepositoryDir, ["symbolic-ref", "--quiet", "--short", "HEAD"], cancellationToken);
        var checkedOut = current.Succeeded ? current.Stdout.Trim() : "a detached HEAD";
        if (checkedOut != @base)
        {
            throw new ForgeException($"cannot merge pull request #{number}: the local forge merges into the checked-out branch, and {RepositoryDir} has {checkedOut} checked out, not {@base}; check out {@base} there and merge again");
        }

        // Untracked files do not stop a merge (git itself refuses one that would overwrite them); changes to tracked files do.
        var status = await Git.OutputAsync(RepositoryDir, ["status", "--porcelain", "--untracked-files=no"], cancellationToken);
        if (status.Length > 0)
        {
            throw new ForgeException($"cannot merge pull request #{number}: {RepositoryDir} has uncommitted changes to tracked files; commit or stash them and merge again:\n{status}");
        }
    }

    private async Task<string?> HeadShaAsync(string branch, CancellationToken cancellationToken)
    {
        if (branch.Length == 0)
        {
            return null;
        }

        var result = await Git.RunAsync(RepositoryDir, ["rev-parse", "--verify", "--quiet", $"refs/heads/{branch}^{{commit}}"], cancellationToken);
        return result.Succeeded ? result.Stdout.Trim() : null;
    }

    private async Task UpdatePullAsync(int number, Func<LocalPullRecord, CancellationToken, Task> change, CancellationToken cancellationToken) =>
        await WithLockAsync(
            async () =>
            {
                var record = await ReadPullAsync(number, cancellationToken);
                await change(record, cancellationToken);
                WritePull(number, record);
                return 0;
            },
            cancellationToken);

    /// <summary>Runs <paramref name="action"/> holding <c>.lock</c>: an flock, released however the process ends.</summary>
    private async Task<T> WithLockAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(ForgeDir))
        {
            throw new ForgeException($"no local forge at {ForgeDir}; create it with: mkdir -p {ForgeDir}/{IssuesFolder} {ForgeDir}/{PullsFolder}");
        }

        var lockPath = Path.Combine(ForgeDir, LockFile);
        var started = _options.TimeProvider.GetTimestamp();
        var wait = TimeSpan.FromMilliseconds(2);
        while (true)
        {
            FileStream? held = null;
            try
            {
                held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (File.Exists(lockPath))
            {
                if (_options.TimeProvider.GetElapsedTime(started) > _options.LockTimeout)
                {
                    throw new ForgeException($"local forge {ForgeDir} stayed locked by another process ({lockPath}) for over {_options.LockTimeout.TotalSeconds:0} s");
                }

                // The kernel offers no awaitable flock: poll, backing off to 50 ms.
                await Task.Delay(wait, _options.TimeProvider, cancellationToken);
                wait = TimeSpan.FromMilliseconds(Math.Min(50, wait.TotalMilliseconds * 2));
                continue;
            }

            await using (held)
            {
                return await action();
            }
        }
    }

    private int NextNumber() => Numbers(IssuesDir).Concat(Numbers(PullsDir)).DefaultIfEmpty(0).Max() + 1;

    private static IEnumerable<int> Numbers(string dir) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*.json")
                .Select(f => int.TryParse(Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 0)
                .Where(n => n > 0)
            : [];

    private string IssuePath(int number) => Path.Combine(IssuesDir, $"{number.ToString(CultureInfo.InvariantCulture)}.json");

    private string PullPath(int number) => Path.Combine(PullsDir, $"{number.ToString(CultureInfo.InvariantCulture)}.json");

    private Task<LocalIssueRecord> ReadIssueAsync(int number, CancellationToken cancellationToken) =>
        ReadAsync(IssuePath(number), $"issue #{number}", number, Json.LocalIssueRecord, r => r.Number, cancellationToken);

    private Task<LocalPullRecord> ReadPullAsync(int number, CancellationToken cancellationToken) =>
        ReadAsync(PullPath(number), $"pull request #{number}", number, Json.LocalPullRecord, r => r.Number, cancellationToken);

    private async Task<T> ReadAsync<T>(string path, string what, int number, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, Func<T, int?> numberOf, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ForgeException($"{what} not found in {Description} (no {path})", e);
        }

        T? record;
        try
        {
            record = JsonSerializer.Deserialize(text, type);
        }
        catch (JsonException e)
        {
            throw new ForgeException($"{path}: not a valid record at line {e.LineNumber + 1}: {e.Message}", e);
        }

        if (record is null)
        {
            throw new ForgeException($"{path}: holds null, not a record");
        }

        if (numberOf(record) is { } n && n != number)
        {
            throw new ForgeException($"{path}: says number {n}, but its file name says {number}");
        }

        return record;
    }

    private void WriteIssue(int number, LocalIssueRecord record) =>
        DoctrineFiles.WriteAtomic(IssuePath(number), JsonSerializer.Serialize(record, Json.LocalIssueRecord) + "\n");

    private void WritePull(int number, LocalPullRecord record) =>
        DoctrineFiles.WriteAtomic(PullPath(number), JsonSerializer.Serialize(record, Json.LocalPullRecord) + "\n");

    private ForgeIssue ToIssue(int number, LocalIssueRecord record)
    {
        if (string.IsNullOrWhiteSpace(record.Title))
        {
            throw new ForgeException($"{IssuePath(number)}: an issue needs a \"title\"");
        }

        return new ForgeIssue(
            number,
            record.Title,
            record.Body ?? "",
            [.. record.Labels ?? []],
            IssueStateOf(record),
            IssuePath(number),
            [.. (record.Comments ?? []).Select(c => new ForgeComment(c.Author ?? "", c.Body ?? "", c.CreatedAt))]);
    }

    private static IssueState IssueStateOf(LocalIssueRecord record) =>
        string.Equals(record.State, "closed", StringComparison.OrdinalIgnoreCase) ? IssueState.Closed : IssueState.Open;

    private static string PullState(LocalPullRecord record) => record.State?.ToLowerInvariant() switch
    {
        "merged" => PullRequestStates.Merged,
        "closed" => PullRequestStates.Closed,
        _ => PullRequestStates.Open,
    };

    private async Task<ForgePullRequest> ToPullRequestAsync(int number, LocalPullRecord record, CancellationToken cancellationToken)
    {
        var state = PullState(record);
        var headSha = state == PullRequestStates.Open ? await HeadShaAsync(record.Head ?? "", cancellationToken) : record.HeadSha;
        return new ForgePullRequest(
            number,
            record.Title ?? "",
            record.Body ?? "",
            record.Head ?? "",
            record.Base ?? "",
            headSha,
            state,
            PullPath(number),
            [.. ClosingIssues(record.Body).Where(n => File.Exists(IssuePath(n)))],
            [.. (record.Reviews ?? []).Select(r => new ForgeReview(
                r.Author ?? "",
                r.State?.ToLowerInvariant() switch
                {
                    "approved" => ReviewState.Approved,
                    "changes_requested" => ReviewState.ChangesRequested,
                    _ => ReviewState.Commented,
                },
                r.Body ?? "",
                r.CommitSha,
                r.SubmittedAt))]);
    }

    [GeneratedRegex(@"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+#(?<number>\d+)\b", RegexOptions.IgnoreCase)]
    private static partial Regex ClosingPattern();
}

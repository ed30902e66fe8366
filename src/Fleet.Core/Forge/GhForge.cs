using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fleet.Processes;
using Fleet.Providers;

namespace Fleet.Forge;

/// <summary>How <see cref="GhForge"/> runs gh.</summary>
public sealed record GhForgeOptions
{
    /// <summary>The gh program: a name looked up on PATH, or a path.</summary>
    public string Executable { get; init; } = "gh";

    /// <summary>How long one gh call may take before it is killed and reported.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Extra environment for gh (a value sets, null removes); a PATH here is also where gh is looked up.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// GitHub through the <c>gh</c> CLI, run in the repository's folder (gh finds the GitHub repository from its remotes).
/// Every call is an argv array with a deadline, with prompts, update notices, colour and the pager off.
/// </summary>
public sealed partial class GhForge : IForge
{
    /// <summary>The first line of a review that GitHub would not take as an approval (or a change request) because it is the author's own pull request.</summary>
    public const string OwnApprovalNote =
        "**Approval not recorded as a GitHub approval:** GitHub does not let an account approve its own pull request, so this verdict was posted as a review comment. The verdict is: approve.";

    public const string OwnChangeRequestNote =
        "**Change request not recorded as a GitHub change request:** GitHub does not let an account request changes on its own pull request, so this verdict was posted as a review comment. The verdict is: request changes.";

    private const string IssueListFields = "number,title,labels,state,url";
    private const string IssueViewFields = "number,title,body,labels,state,url,comments";
    private const string PullListFields = "number,title,body,headRefName,baseRefName,headRefOid,url,state,closingIssuesReferences";
    private const string PullViewFields = PullListFields + ",reviews";
    private const string Limit = "1000";

    // Set for every call: gh must never wait on a person, print update notices, colour its output or page it.
    private static readonly Dictionary<string, string?> QuietEnvironment = new(StringComparer.Ordinal)
    {
        ["GH_PROMPT_DISABLED"] = "1",
        ["GH_NO_UPDATE_NOTIFIER"] = "1",
        ["NO_COLOR"] = "1",
        ["GH_PAGER"] = "cat",
    };

    private readonly GhForgeOptions _options;
    private readonly Dictionary<string, string?> _environment;

    public GhForge(string repositoryDir, GhForgeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(repositoryDir);
        RepositoryDir = Path.GetFullPath(repositoryDir);
        _options = options ?? new GhForgeOptions();
        _environment = new Dictionary<string, string?>(QuietEnvironment, StringComparer.Ordinal);
        foreach (var (name, value) in _options.Environment ?? new Dictionary<string, string?>())
        {
            _environment[name] = value;
        }
    }

    public string RepositoryDir { get; }

    public string Description => $"GitHub (gh) in {RepositoryDir}";

    public async Task<ForgeCheck> CheckAsync(CancellationToken cancellationToken)
    {
        string program;
        try
        {
            program = ResolveExecutable();
        }
        catch (AgentStartException)
        {
            return new ForgeCheck(false, $"gh is not installed ({_options.Executable} was not found on PATH); install the GitHub CLI, then run gh auth login");
        }

        var result = await RunAsync(program, ["auth", "status"], cancellationToken);
        var said = Redact((result.Stderr.Trim() + "\n" + result.Stdout.Trim()).Trim());
        return result.Succeeded
            ? new ForgeCheck(true, $"gh is authenticated ({LoggedIn(said)})")
            : new ForgeCheck(false, $"gh is not authenticated: {said}; run gh auth login");
    }

    public async Task<IReadOnlyList<ForgeIssue>> ListIssuesAsync(IssueQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        List<string> args = ["issue", "list", "--state", StateWord(query.State), "--limit", Limit, "--json", IssueListFields];
        if (query.Label is { Length: > 0 } label)
        {
            args.AddRange(["--label", label]);
        }

        var json = await RunCheckedAsync(args, cancellationToken);
        var issues = ParseArray(json, args, ReadIssue);
        return query.Numbers is { } numbers ? [.. issues.Where(i => numbers.Contains(i.Number))] : issues;
    }

    public async Task<ForgeIssue> GetIssueAsync(int number, CancellationToken cancellationToken)
    {
        List<string> args = ["issue", "view", Number(number), "--json", IssueViewFields];
        return ParseObject(await RunCheckedAsync(args, cancellationToken), args, ReadIssue);
    }

    public async Task<IReadOnlyList<ForgePullRequest>> ListOpenPullRequestsAsync(CancellationToken cancellationToken)
    {
        List<string> args = ["pr", "list", "--state", "open", "--limit", Limit, "--json", PullListFields];
        return ParseArray(await RunCheckedAsync(args, cancellationToken), args, ReadPullRequest);
    }

    public async Task<ForgePullRequest> GetPullRequestAsync(int number, CancellationToken cancellationToken)
    {
        List<string> args = ["pr", "view", Number(number), "--json", PullViewFields];
        return ParseObject(await RunCheckedAsync(args, cancellationToken), args, ReadPullRequest);
    }

    public async Task<ForgePullRequest> CreatePullRequestAsync(NewPullRequest pullRequest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pullRequest);
        List<string> args = ["pr", "create", "--head", pullRequest.Head, "--base", pullRequest.Base, "--title", pullRequest.Title, "--body", pullRequest.Body];
        var stdout = await RunCheckedAsync(args, cancellationToken);
        return await GetPullRequestAsync(NumberFromUrl(stdout, "pull", args), cancellationToken);
    }

    public Task EditPullRequestBodyAsync(int number, string body, CancellationToken cancellationToken) =>
        RunCheckedAsync(["pr", "edit", Number(number), "--body", body], cancellationToken);

    public async Task ReviewPullRequestAsync(int number, ReviewState state, string body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var flag = state switch
        {
            ReviewState.Approved => "--approve",
            ReviewState.ChangesRequested => "--request-changes",
            _ => "--comment",
        };
        List<string> args = ["pr", "review", Number(number), flag, "--body", body];
        var result = await RunAsync(ResolveOrThrow(args), args, cancellationToken);
        if (result.Succeeded)
        {
            return;
        }

        // GitHub refuses an approval or a change request from the pull request's own author (one account running
        // the whole squad): the verdict is kept as a comment review that says, first, what it would have been.
        var note = state switch
        {
            ReviewState.Approved when result.Stderr.Contains("Can not approve your own pull request", StringComparison.OrdinalIgnoreCase) => OwnApprovalNote,
            ReviewState.ChangesRequested when result.Stderr.Contains("Can not request changes on your own pull request", StringComparison.OrdinalIgnoreCase) => OwnChangeRequestNote,
            _ => null,
        };
        if (note is null)
        {
            throw Failure(args, result);
        }

        await RunCheckedAsync(["pr", "review", Number(number), "--comment", "--body", note + "\n\n" + body], cancellationToken);
    }

    public Task CommentOnPullRequestAsync(int number, string body, CancellationToken cancellationToken) =>
        RunCheckedAsync(["pr", "comment", Number(number), "--body", body], cancellationToken);

    public async Task MergePullRequestAsync(int number, string expectedHeadSha, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(expectedHeadSha);
        List<string> args = ["pr", "merge", Number(number), "--squash", "--match-head-commit", expectedHeadSha];
        var result = await RunAsync(ResolveOrThrow(args), args, cancellationToken);
        if (result.Succeeded)
        {
            return;
        }

        // GitHub's own words for a moved head ("Head branch was modified") do not say where it went: read it back.
        string? actual = null;
        try
        {
            actual = (await GetPullRequestAsync(number, cancellationToken)).HeadSha;
        }
        catch (ForgeException)
        {
            // Reading it back is only for a better message; the merge's own failure below says enough.
        }

        if (actual is not null && !string.Equals(actual, expectedHeadSha, StringComparison.OrdinalIgnoreCase))
        {
            throw new ForgeException($"refusing to merge pull request #{number}: its head is now {actual}, not the expected {expectedHeadSha} (it changed after approval). {Failure(args, result).Message}");
        }

        throw Failure(args, result);
    }

    public async Task<ForgeIssue> CreateIssueAsync(string title, string body, IReadOnlyList<string> labels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(labels);
        List<string> args = ["issue", "create", "--title", title, "--body", body];
        foreach (var label in labels)
        {
            args.AddRange(["--label", label]);
        }

        var stdout = await RunCheckedAsync(args, cancellationToken);
        return await GetIssueAsync(NumberFromUrl(stdout, "issues", args), cancellationToken);
    }

    public async Task<IReadOnlyList<ForgeCheckRun>> GetChecksAsync(int number, CancellationToken cancellationToken)
    {
        List<string> args = ["pr", "checks", Number(number), "--json", "name,bucket,link"];
        var result = await RunAsync(ResolveOrThrow(args), args, cancellationToken);

        // gh exits non-zero when a check fails (1) or is pending (8) and still prints the list; with no checks it says so.
        if (result.Stdout.TrimStart().StartsWith('['))
        {
            return ParseArray(result.Stdout, args, e => new ForgeCheckRun(String(e, "name"), String(e, "bucket"), String(e, "link") is { Length: > 0 } link ? link : null));
        }

        return result.Stderr.Contains("no checks reported", StringComparison.OrdinalIgnoreCase) ? [] : throw Failure(args, result);
    }

    public Task SetPullRequestBaseAsync(int number, string baseBranch, CancellationToken cancellationToken) =>
        RunCheckedAsync(["pr", "edit", Number(number), "--base", baseBranch], cancellationToken);

    /// <summary>gh's words with anything that looks like a GitHub token masked, so no message carries a secret.</summary>
    internal static string Redact(string text) => TokenPattern().Replace(text, m => m.Value[..Math.Min(4, m.Value.Length)] + "***");

    /// <summary>The line of <c>gh auth status</c> that says who is logged in (its first line names only the host).</summary>
    private static string LoggedIn(string text)
    {
        var lines = text.Split('\n').Select(l => l.Trim().TrimStart('✓').Trim()).Where(l => l.Length > 0).ToList();
        return lines.FirstOrDefault(l => l.StartsWith("Logged in", StringComparison.OrdinalIgnoreCase)) ?? lines.FirstOrDefault() ?? "";
    }

    private static string StateWord(IssueState state) => state switch
    {
        IssueState.Closed => "closed",
        IssueState.All => "all",
        _ => "open",
    };

    private static string Number(int number) => number.ToString(CultureInfo.InvariantCulture);

    private async Task<string> RunCheckedAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var result = await RunAsync(ResolveOrThrow(args), args, cancellationToken);
        return result.Succeeded ? result.Stdout : throw Failure(args, result);
    }

    private Task<CommandResult> RunAsync(string program, IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        new CommandRunner(program)
            .WithArguments(args)
            .WithEnvironment(_environment)
            .WithWorkingDirectory(RepositoryDir)
            .WithTimeout(_options.CallTimeout, _options.TimeProvider)
            .ExecuteBufferedAsync(cancellationToken);

    private string ResolveExecutable()
    {
        var path = _environment.TryGetValue("PATH", out var configured) && configured is not null
            ? configured
            : System.Environment.GetEnvironmentVariable("PATH");
        return ExecutableResolver.Resolve(_options.Executable, RepositoryDir, path);
    }

    private string ResolveOrThrow(IReadOnlyList<string> args)
    {
        try
        {
            return ResolveExecutable();
        }
        catch (AgentStartException e)
        {
            throw new ForgeException($"{Describe(args)}: gh is not installed ({_options.Executable} was not found on PATH); install the GitHub CLI", e);
        }
    }

    private ForgeException Failure(IReadOnlyList<string> args, CommandResult result)
    {
        var said = Redact(result.Stderr.Trim().Length > 0 ? result.Stderr.Trim() : result.Stdout.Trim());
        var how = result.ExitCode == -1 ? "did not finish" : $"exit {result.ExitCode}";
        return new ForgeException($"{Describe(args)} failed in {RepositoryDir} ({how}){(said.Length > 0 ? ": " + said : "")}");
    }

    /// <summary>The command for messages, with long bodies cut: the message must name the command, not repeat a page.</summary>
    private static string Describe(IReadOnlyList<string> args) =>
        "gh " + ShellQuote.Join(args.Select((a, i) => i > 0 && args[i - 1] == "--body" && a.Length > 60 ? a[..57].ReplaceLineEndings(" ") + "..." : a));

    private static int NumberFromUrl(string stdout, string kind, IReadOnlyList<string> args)
    {
        // gh prints the new item's URL as its last line (https://github.com/OWNER/REPO/pull/N or /issues/N).
        var match = stdout.Split('\n').Select(l => UrlNumberPattern().Match(l.Trim())).LastOrDefault(m => m.Success && m.Groups["kind"].Value == kind);
        return match is not null
            ? int.Parse(match.Groups["number"].Value, CultureInfo.InvariantCulture)
            : throw new ForgeException($"{Describe(args)} printed no {(kind == "pull" ? "pull request" : "issue")} URL: {Redact(stdout.Trim())}");
    }

    private static List<T> ParseArray<T>(string json, IReadOnlyList<string> args, Func<JsonElement, T> read)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new ForgeException($"{Describe(args)} printed {document.RootElement.ValueKind} where a JSON array was expected");
            }

            return [.. document.RootElement.EnumerateArray().Select(read)];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new ForgeException($"{Describe(args)} printed JSON fleet cannot read: {e.Message}", e);
        }
    }

    private static T ParseObject<T>(string json, IReadOnlyList<string> args, Func<JsonElement, T> read)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return read(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new ForgeException($"{Describe(args)} printed JSON fleet cannot read: {e.Message}", e);
        }
    }

    private static ForgeIssue ReadIssue(JsonElement e) => new(
        e.GetProperty("number").GetInt32(),
        String(e, "title"),
        String(e, "body"),
        Labels(e),
        string.Equals(String(e, "state"), "OPEN", StringComparison.OrdinalIgnoreCase) ? IssueState.Open : IssueState.Closed,
        String(e, "url"),
        Comments(e));

    private static ForgePullRequest ReadPullRequest(JsonElement e) => new(
        e.GetProperty("number").GetInt32(),
        String(e, "title"),
        String(e, "body"),
        String(e, "headRefName"),
        String(e, "baseRefName"),
        e.TryGetProperty("headRefOid", out var oid) && oid.ValueKind == JsonValueKind.String && oid.GetString() is { Length: > 0 } sha ? sha : null,
        String(e, "state").ToUpperInvariant(),
        String(e, "url"),
        Items(e, "closingIssuesReferences").Select(r => r.GetProperty("number").GetInt32()).ToList(),
        Reviews(e));

    private static List<ForgeReview> Reviews(JsonElement e)
    {
        var reviews = new List<ForgeReview>();
        foreach (var r in Items(e, "reviews"))
        {
            // A pending review is a draft nobody else sees; a dismissed one no longer counts: neither is a verdict.
            ReviewState? state = String(r, "state") switch
            {
                "APPROVED" => ReviewState.Approved,
                "CHANGES_REQUESTED" => ReviewState.ChangesRequested,
                "COMMENTED" => ReviewState.Commented,
                _ => null,
            };
            if (state is { } s)
            {
                var commit = r.TryGetProperty("commit", out var c) && c.ValueKind == JsonValueKind.Object ? String(c, "oid") : "";
                reviews.Add(new ForgeReview(Login(r), s, String(r, "body"), commit.Length > 0 ? commit : null, Time(r, "submittedAt")));
            }
        }

        return reviews;
    }

    private static List<string> Labels(JsonElement e) => [.. Items(e, "labels").Select(l => String(l, "name"))];

    private static List<ForgeComment> Comments(JsonElement e) =>
        [.. Items(e, "comments").Select(c => new ForgeComment(Login(c), String(c, "body"), Time(c, "createdAt")))];

    private static JsonElement[] Items(JsonElement e, string name) =>
        e.TryGetProperty(name, out var items) && items.ValueKind == JsonValueKind.Array ? [.. items.EnumerateArray()] : [];

    private static string Login(JsonElement e) =>
        e.TryGetProperty("author", out var author) && author.ValueKind == JsonValueKind.Object ? String(author, "login") : "";

    private static string String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        DateTimeOffset.TryParse(String(e, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;

    [GeneratedRegex(@"\b(gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})")]
    private static partial Regex TokenPattern();

    [GeneratedRegex(@"^https?://\S+/(?<kind>pull|issues)/(?<number>\d+)/?$")]
    private static partial Regex UrlNumberPattern();
}

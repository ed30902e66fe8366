// A stand-in for the GitHub CLI (`gh`) that the tests put on PATH. It implements exactly the commands fleet's
// forge runs, answers in gh's JSON shapes (only the --json fields asked for, keys sorted as Go prints a map),
// and keeps GitHub's state in a JSON file. It shares no code with src/Fleet.Core/Forge on purpose.
//
// Environment:
//   FAKE_GH_STATE=FILE           the state (seeded by tests; created empty when missing), see State below
//   FAKE_GH_LOG=FILE             each call appends {"argv":[...],"cwd":"..."} as one JSON line
//   FAKE_GH_LOG_ENV=1            ...with "env": the GH_PROMPT_DISABLED, GH_NO_UPDATE_NOTIFIER, NO_COLOR, GH_PAGER it got
//   FAKE_GH_GIT_DIR=DIR          a bare repository standing for GitHub's copy: branches (and open pull requests'
//                                heads) follow what was pushed there
//   FAKE_GH_UNAUTHENTICATED=1    `gh auth status` fails as when nobody is logged in
//   FAKE_GH_FAIL=RULE[;RULE]     a call whose argv holds a rule's words, in order, fails with exit 1; the message is
//                                GitHub's own-PR refusal for "pr review --approve" / "--request-changes", else
//                                FAKE_GH_FAIL_MESSAGE or a generic server error
//
// State (camelCase): { "owner", "repo", "viewer" (the logged-in account), "createAs" (author of what gh creates;
// default viewer), "now" (a fixed clock, optional), "labels" (when present, the only labels issue create accepts),
// "branches": { name: sha }, "issues": [...], "pulls": [...] }. A push is a new sha for a branch: the open pull
// requests of that branch follow it (their headRefOid), as on GitHub.
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

return FakeGh.Run(args);

internal static partial class FakeGh
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    private static readonly string[] IssueFields =
    [
        "assignees", "author", "body", "closed", "closedAt", "closedByPullRequestsReferences", "comments", "createdAt", "id",
        "isPinned", "labels", "milestone", "number", "projectCards", "projectItems", "reactionGroups", "state", "stateReason",
        "title", "updatedAt", "url",
    ];

    private static readonly string[] PullFields =
    [
        "additions", "assignees", "author", "autoMergeRequest", "baseRefName", "baseRefOid", "body", "changedFiles", "closed",
        "closedAt", "closingIssuesReferences", "comments", "commits", "createdAt", "deletions", "files", "fullDatabaseId",
        "headRefName", "headRefOid", "headRepository", "headRepositoryOwner", "id", "isCrossRepository", "isDraft", "labels",
        "latestReviews", "maintainerCanModify", "mergeCommit", "mergeStateStatus", "mergeable", "mergedAt", "mergedBy",
        "milestone", "number", "potentialMergeCommit", "projectCards", "projectItems", "reactionGroups", "reviewDecision",
        "reviewRequests", "reviews", "state", "statusCheckRollup", "title", "updatedAt", "url",
    ];

    public static int Run(string[] args)
    {
        Log(args);
        try
        {
            FailIfTold(args);
            return Dispatch(args);
        }
        catch (GhError e)
        {
            Console.Error.WriteLine(e.Message);
            return e.ExitCode;
        }
    }

    private static int Dispatch(string[] args)
    {
        if (args.Length == 0)
        {
            throw new GhError("Work seamlessly with GitHub from the command line.\n\nUsage:  gh <command> <subcommand> [flags]");
        }

        if (args[0] is "--version" or "version")
        {
            Console.Out.Write("gh version 2.99.0-fake (fleet tests)\n");
            return 0;
        }

        var group = args[0];
        var sub = args.Length > 1 ? args[1] : null;
        var rest = args.Skip(2).ToArray();
        return (group, sub) switch
        {
            ("auth", "status") => AuthStatus(Parse("gh auth status", rest, [], [])),
            ("issue", "list") => WithState(s => IssueList(s, Parse("gh issue list", rest, ["--state", "--limit", "--json", "--label"], []))),
            ("issue", "view") => WithState(s => IssueView(s, Parse("gh issue view", rest, ["--json"], []))),
            ("issue", "create") => WithState(s => IssueCreate(s, Parse("gh issue create", rest, ["--title", "--body", "--label"], []))),
            ("pr", "list") => WithState(s => PrList(s, Parse("gh pr list", rest, ["--state", "--limit", "--json"], []))),
            ("pr", "view") => WithState(s => PrView(s, Parse("gh pr view", rest, ["--json"], []))),
            ("pr", "create") => WithState(s => PrCreate(s, Parse("gh pr create", rest, ["--head", "--base", "--title", "--body"], []))),
            ("pr", "edit") => WithState(s => PrEdit(s, Parse("gh pr edit", rest, ["--body", "--base"], []))),
            ("pr", "checks") => WithState(s => PrChecks(s, Parse("gh pr checks", rest, ["--json"], []))),
            ("pr", "review") => WithState(s => PrReview(s, Parse("gh pr review", rest, ["--body"], ["--approve", "--request-changes", "--comment"]))),
            ("pr", "comment") => WithState(s => PrComment(s, Parse("gh pr comment", rest, ["--body"], []))),
            ("pr", "merge") => WithState(s => PrMerge(s, Parse("gh pr merge", rest, ["--match-head-commit"], ["--squash", "--merge", "--rebase"]))),
            ("auth" or "issue" or "pr", _) => throw new GhError($"unknown command \"{sub}\" for \"gh {group}\"\n\nUsage:  gh {group} <command> [flags]"),
            _ => throw new GhError($"unknown command \"{group}\" for \"gh\"\n\nUsage:  gh <command> <subcommand> [flags]"),
        };
    }

    // ---- commands -------------------------------------------------------------------------------------------

    private static int AuthStatus(Args _)
    {
        if (Environment.GetEnvironmentVariable("FAKE_GH_UNAUTHENTICATED") == "1")
        {
            throw new GhError("You are not logged into any GitHub hosts. To log in, run: gh auth login");
        }

        var stateSet = Environment.GetEnvironmentVariable("FAKE_GH_STATE") is { Length: > 0 };
        var viewer = stateSet && File.Exists(StatePath()) ? Viewer(LoadState()) : "fleet-bot";
        Console.Out.Write($"github.com\n  ✓ Logged in to github.com account {viewer} (keyring)\n  - Active account: true\n  - Git operations protocol: https\n");
        return 0;
    }

    private static int IssueList(JsonObject state, Args a)
    {
        var fields = Fields(a, IssueFields);
        var want = a.One("--state") ?? "open";
        var labels = a.All("--label");
        var limit = Limit(a);
        var issues = Objects(state, "issues")
            .Where(i => want == "all" || Str(i, "state").Equals(want, StringComparison.OrdinalIgnoreCase))
            .Where(i => labels.All(l => Labels(i).Contains(l, StringComparer.OrdinalIgnoreCase)))
            .OrderByDescending(i => Num(i))
            .Take(limit)
            .Select(i => Export(state, i, fields, IssueValue));
        Print(new JsonArray([.. issues]));
        return 0;
    }

    private static int IssueView(JsonObject state, Args a)
    {
        var fields = Fields(a, IssueFields);
        var issue = FindIssue(state, a.Number());
        Print(Export(state, issue, fields, IssueValue));
        return 0;
    }

    private static int IssueCreate(JsonObject state, Args a)
    {
        var title = a.One("--title");
        var body = a.One("--body");
        if (title is null || body is null)
        {
            throw new GhError("must provide `--title` and `--body` when not running interactively");
        }

        if (title.Trim().Length == 0)
        {
            throw new GhError("title can't be blank");
        }

        var labels = a.All("--label");
        if (state["labels"] is JsonArray known)
        {
            var names = known.Select(n => n!.GetValue<string>()).ToList();
            if (labels.FirstOrDefault(l => !names.Contains(l, StringComparer.OrdinalIgnoreCase)) is { } missing)
            {
                throw new GhError($"could not add label: '{missing}' not found");
            }
        }

        var number = NextNumber(state);
        Items(state, "issues").Add(new JsonObject
        {
            ["number"] = number,
            ["title"] = title,
            ["body"] = body,
            ["labels"] = new JsonArray([.. labels.Select(l => (JsonNode)JsonValue.Create(l))]),
            ["state"] = "OPEN",
            ["author"] = Creator(state),
            ["createdAt"] = Now(state),
            ["comments"] = new JsonArray(),
        });
        Console.Out.Write($"{RepoUrl(state)}/issues/{number}\n");
        return Saved(state);
    }

    private static int PrList(JsonObject state, Args a)
    {
        var fields = Fields(a, PullFields);
        var want = a.One("--state") ?? "open";
        var pulls = Objects(state, "pulls")
            .Where(p => want == "all" || Str(p, "state").Equals(want, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(p => Num(p))
            .Take(Limit(a))
            .Select(p => Export(state, p, fields, PullValue));
        Print(new JsonArray([.. pulls]));
        return 0;
    }

    /// <summary>
    /// The checks the state holds for the pull request's head commit (<c>checks.&lt;sha&gt;</c>: name, bucket, link), as
    /// gh prints them; like gh, exit 1 when one failed, 8 when one is pending, and "no checks reported" when there are none.
    /// </summary>
    private static int PrChecks(JsonObject state, Args a)
    {
        var pr = FindPull(state, a.Number());
        var runs = state["checks"]?[Str(pr, "headRefOid")] as JsonArray;
        if (runs is null || runs.Count == 0)
        {
            throw new GhError($"no checks reported on the '{Str(pr, "headRefName")}' branch");
        }

        var fields = (a.One("--json") ?? "name,bucket").Split(',');
        Print(new JsonArray([.. runs.OfType<JsonObject>().Select(r => (JsonNode)new JsonObject([.. fields.Select(f => KeyValuePair.Create(f, r[f]?.DeepClone()))]))]));
        var buckets = runs.OfType<JsonObject>().Select(r => Str(r, "bucket")).ToList();
        return buckets.Any(b => b is "fail" or "cancel") ? 1 : buckets.Any(b => b == "pending") ? 8 : 0;
    }

    private static int PrView(JsonObject state, Args a)
    {
        var fields = Fields(a, PullFields);
        Print(Export(state, FindPull(state, a.Number()), fields, PullValue));
        return 0;
    }

    private static int PrCreate(JsonObject state, Args a)
    {
        var head = a.One("--head") ?? throw new GhError("fake gh: --head is needed (the fake does not read the current branch)");
        var @base = a.One("--base") ?? "main";
        var title = a.One("--title");
        var body = a.One("--body");
        if (title is null || body is null)
        {
            throw new GhError("must provide `--title` and `--body` (or `--fill` or `fill-first` or `--fillverbose`) when not running interactively");
        }

        var branches = state["branches"] as JsonObject ?? [];
        var headSha = branches[head]?.GetValue<string>();
        var baseSha = branches[@base]?.GetValue<string>();
        if (headSha is null || baseSha is null || headSha == baseSha)
        {
            throw new GhError($"pull request create failed: GraphQL: {(headSha is null ? "Head sha can't be blank, " : "")}{(baseSha is null ? "Base sha can't be blank, " : "")}No commits between {@base} and {head}{(headSha is null ? ", Head ref must be a branch" : "")} (createPullRequest)");
        }

        if (Objects(state, "pulls").FirstOrDefault(p => Str(p, "state") == "OPEN" && Str(p, "headRefName") == head && Str(p, "baseRefName") == @base) is { } existing)
        {
            throw new GhError($"a pull request for branch \"{head}\" into branch \"{@base}\" already exists:\n{RepoUrl(state)}/pull/{Num(existing)}");
        }

        var number = NextNumber(state);
        Items(state, "pulls").Add(new JsonObject
        {
            ["number"] = number,
            ["title"] = title,
            ["body"] = body,
            ["headRefName"] = head,
            ["baseRefName"] = @base,
            ["headRefOid"] = headSha,
            ["state"] = "OPEN",
            ["author"] = Creator(state),
            ["createdAt"] = Now(state),
            ["reviews"] = new JsonArray(),
            ["comments"] = new JsonArray(),
        });
        Console.Out.Write($"{RepoUrl(state)}/pull/{number}\n");
        return Saved(state);
    }

    private static int PrEdit(JsonObject state, Args a)
    {
        var pr = FindPull(state, a.Number());
        if (a.One("--body") is { } body)
        {
            pr["body"] = body;
        }

        if (a.One("--base") is { } baseBranch)
        {
            pr["baseRefName"] = baseBranch;
        }

        Console.Out.Write($"{RepoUrl(state)}/pull/{Num(pr)}\n");
        return Saved(state);
    }

    private static int PrReview(JsonObject state, Args a)
    {
        var pr = FindPull(state, a.Number());
        var chosen = new[] { "--approve", "--request-changes", "--comment" }.Where(a.Has).ToList();
        if (chosen.Count != 1)
        {
            throw new GhError(chosen.Count == 0
                ? "--approve, --request-changes, or --comment required when not running interactively"
                : "need exactly one of --approve, --request-changes, or --comment");
        }

        var body = a.One("--body") ?? "";
        var kind = chosen[0];
        if (kind != "--approve" && body.Trim().Length == 0)
        {
            throw new GhError($"body cannot be blank for {(kind == "--comment" ? "comment" : "request-changes")} review");
        }

        var viewer = Viewer(state);
        if (Str(pr, "author") == viewer && kind != "--comment")
        {
            throw new GhError(kind == "--approve"
                ? "failed to create review: GraphQL: Can not approve your own pull request (addPullRequestReview)"
                : "failed to create review: GraphQL: Can not request changes on your own pull request (addPullRequestReview)");
        }

        if (Str(pr, "state") != "OPEN")
        {
            throw new GhError($"failed to create review: GraphQL: Can not review a {Str(pr, "state").ToLowerInvariant()} pull request (addPullRequestReview)");
        }

        Items(pr, "reviews").Add(new JsonObject
        {
            ["author"] = viewer,
            ["state"] = kind switch { "--approve" => "APPROVED", "--request-changes" => "CHANGES_REQUESTED", _ => "COMMENTED" },
            ["body"] = body,
            ["submittedAt"] = Now(state),
            ["commitOid"] = Str(pr, "headRefOid"),
        });
        Console.Error.Write(kind switch
        {
            "--approve" => $"✓ Approved pull request {Slug(state)}#{Num(pr)}\n",
            "--request-changes" => $"+ Requested changes to pull request {Slug(state)}#{Num(pr)}\n",
            _ => $"- Reviewed pull request {Slug(state)}#{Num(pr)}\n",
        });
        return Saved(state);
    }

    private static int PrComment(JsonObject state, Args a)
    {
        var pr = FindPull(state, a.Number());
        var body = a.One("--body");
        if (string.IsNullOrWhiteSpace(body))
        {
            throw new GhError("body cannot be blank");
        }

        var comments = Items(pr, "comments");
        comments.Add(new JsonObject { ["author"] = Viewer(state), ["body"] = body, ["createdAt"] = Now(state) });
        Console.Out.Write($"{RepoUrl(state)}/pull/{Num(pr)}#issuecomment-{Num(pr) * 1000 + comments.Count}\n");
        return Saved(state);
    }

    private static int PrMerge(JsonObject state, Args a)
    {
        var pr = FindPull(state, a.Number());
        if (new[] { "--squash", "--merge", "--rebase" }.Count(a.Has) != 1)
        {
            throw new GhError("--merge, --rebase, or --squash required when not running interactively");
        }

        if (Str(pr, "state") != "OPEN")
        {
            throw new GhError($"X Pull request {Slug(state)}#{Num(pr)} ({Str(pr, "title")}) can't be merged: it is {Str(pr, "state").ToLowerInvariant()}");
        }

        if (a.One("--match-head-commit") is { } expected && !string.Equals(expected, Str(pr, "headRefOid"), StringComparison.OrdinalIgnoreCase))
        {
            throw new GhError("GraphQL: Head branch was modified. Review and try the merge again. (mergePullRequest)");
        }

        pr["state"] = "MERGED";
        pr["mergedAt"] = Now(state);
        foreach (var n in ClosingNumbers(state, pr))
        {
            var issue = FindIssue(state, n);
            issue["state"] = "CLOSED";
            issue["closedAt"] = Now(state);
        }

        Console.Error.Write($"✓ Squashed and merged pull request {Slug(state)}#{Num(pr)} ({Str(pr, "title")})\n");
        return Saved(state);
    }

    // ---- gh's JSON shapes -----------------------------------------------------------------------------------

    private static JsonNode? IssueValue(JsonObject state, JsonObject issue, string field) => field switch
    {
        "number" => Num(issue),
        "title" or "body" or "state" or "createdAt" => Str(issue, field),
        "closed" => Str(issue, "state") == "CLOSED",
        "url" => $"{RepoUrl(state)}/issues/{Num(issue)}",
        "labels" => LabelNodes(issue),
        "author" => Author(Str(issue, "author")),
        "comments" => CommentNodes(state, issue, "issues"),
        _ => throw new GhError($"fake gh: JSON field \"{field}\" is a real gh field the fake does not implement"),
    };

    private static JsonNode? PullValue(JsonObject state, JsonObject pr, string field) => field switch
    {
        "number" => Num(pr),
        "title" or "body" or "state" or "createdAt" or "headRefName" or "baseRefName" or "headRefOid" => Str(pr, field),
        "closed" => Str(pr, "state") != "OPEN",
        "url" => $"{RepoUrl(state)}/pull/{Num(pr)}",
        "author" => Author(Str(pr, "author")),
        "labels" => LabelNodes(pr),
        "comments" => CommentNodes(state, pr, "pull"),
        "mergedAt" => pr["mergedAt"]?.GetValue<string>(),
        "reviews" => new JsonArray([.. Objects(pr, "reviews").Select((r, i) => (JsonNode)Sorted(new JsonObject
        {
            ["id"] = $"PRR_{Num(pr)}_{i + 1}",
            ["author"] = Author(Str(r, "author")),
            ["authorAssociation"] = "MEMBER",
            ["body"] = Str(r, "body"),
            ["submittedAt"] = Str(r, "submittedAt"),
            ["includesCreatedEdit"] = false,
            ["reactionGroups"] = new JsonArray(),
            ["state"] = Str(r, "state"),
            ["commit"] = new JsonObject { ["oid"] = Str(r, "commitOid") },
        }))]),
        "closingIssuesReferences" => new JsonArray([.. ClosingNumbers(state, pr).Select(n => (JsonNode)Sorted(new JsonObject
        {
            ["id"] = $"I_{n}",
            ["number"] = n,
            ["repository"] = new JsonObject
            {
                ["id"] = "R_1",
                ["name"] = RepoName(state),
                ["owner"] = new JsonObject { ["id"] = "U_1", ["login"] = Owner(state) },
            },
            ["url"] = $"{RepoUrl(state)}/issues/{n}",
        }))]),
        _ => throw new GhError($"fake gh: JSON field \"{field}\" is a real gh field the fake does not implement"),
    };

    private static JsonObject Author(string login) => new() { ["id"] = $"U_{login}", ["is_bot"] = false, ["login"] = login, ["name"] = "" };

    private static JsonArray LabelNodes(JsonObject item) =>
        new([.. Labels(item).Select(l => (JsonNode)new JsonObject { ["color"] = "ededed", ["description"] = "", ["id"] = $"LA_{l}", ["name"] = l })]);

    private static JsonArray CommentNodes(JsonObject state, JsonObject item, string kind) =>
        new([.. Objects(item, "comments").Select((c, i) => (JsonNode)Sorted(new JsonObject
        {
            ["id"] = $"IC_{Num(item)}_{i + 1}",
            ["author"] = Author(Str(c, "author")),
            ["authorAssociation"] = "MEMBER",
            ["body"] = Str(c, "body"),
            ["createdAt"] = Str(c, "createdAt"),
            ["includesCreatedEdit"] = false,
            ["isMinimized"] = false,
            ["minimizedReason"] = "",
            ["reactionGroups"] = new JsonArray(),
            ["url"] = $"{RepoUrl(state)}/{kind}/{Num(item)}#issuecomment-{Num(item) * 1000 + i + 1}",
            ["viewerDidAuthor"] = Str(c, "author") == Viewer(state),
        }))]);

    /// <summary>GitHub links the issues of this repository that the body closes with a keyword (close, fixes, resolved, ...).</summary>
    private static List<int> ClosingNumbers(JsonObject state, JsonObject pr)
    {
        var numbers = new List<int>();
        foreach (Match m in Closing().Matches(Str(pr, "body")))
        {
            var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (!numbers.Contains(n) && Objects(state, "issues").Any(i => Num(i) == n))
            {
                numbers.Add(n);
            }
        }

        return numbers;
    }

    [GeneratedRegex(@"(?i)(?<![\w-])(?:close|closes|closed|fix|fixes|fixed|resolve|resolves|resolved):?[ \t]+#([0-9]+)(?![\w])")]
    private static partial Regex Closing();

    private static JsonObject Export(JsonObject state, JsonObject item, List<string> fields, Func<JsonObject, JsonObject, string, JsonNode?> value)
    {
        var result = new JsonObject();
        foreach (var field in fields.Distinct().Order(StringComparer.Ordinal))
        {
            result[field] = value(state, item, field);
        }

        return result;
    }

    private static JsonObject Sorted(JsonObject o)
    {
        var sorted = new JsonObject();
        foreach (var (key, node) in o.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
        {
            o.Remove(key);
            sorted[key] = node;
        }

        return sorted;
    }

    private static List<string> Fields(Args a, string[] available)
    {
        var json = a.One("--json") ?? throw new GhError("fake gh: only --json output is implemented; pass --json FIELDS");
        var fields = json.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        if (fields.FirstOrDefault(f => !available.Contains(f, StringComparer.Ordinal)) is { } unknown)
        {
            throw new GhError($"Unknown JSON field: \"{unknown}\"\nAvailable fields:\n  {string.Join("\n  ", available)}");
        }

        return fields;
    }

    // gh prints JSON on one line when its output is not a terminal.
    private static void Print(JsonNode node) => Console.Out.Write(node.ToJsonString(Compact) + "\n");

    private static int Limit(Args a) =>
        a.One("--limit") is { } limit
            ? int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new GhError($"invalid limit: {limit}")
            : 30;

    // ---- state ------------------------------------------------------------------------------------------------

    private static int WithState(Func<JsonObject, int> command)
    {
        // One call at a time: a second gh started meanwhile waits for this one's state to be written.
        using var held = Lock(StatePath() + ".lock");
        return command(LoadState());
    }

    private static string StatePath() =>
        Environment.GetEnvironmentVariable("FAKE_GH_STATE") is { Length: > 0 } path ? path : throw new GhError("fake gh: FAKE_GH_STATE is not set");

    private static FileStream Lock(string path)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < until)
            {
                Thread.Sleep(5);
            }
        }
    }

    private static JsonObject LoadState()
    {
        var state = File.Exists(StatePath()) ? JsonNode.Parse(File.ReadAllText(StatePath()))?.AsObject() ?? [] : [];
        if (Environment.GetEnvironmentVariable("FAKE_GH_GIT_DIR") is { Length: > 0 } gitDir)
        {
            FollowPushes(state, gitDir);
        }

        return state;
    }

    // With FAKE_GH_GIT_DIR (a bare repository standing for GitHub's copy), branches are what was pushed there, and
    // open pull requests follow their branch, as GitHub's do.
    private static void FollowPushes(JsonObject state, string gitDir)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("git") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-C", gitDir, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads" })
        {
            psi.ArgumentList.Add(arg);
        }

        using var git = System.Diagnostics.Process.Start(psi)!;
        var output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        if (state["branches"] is not JsonObject branches)
        {
            state["branches"] = branches = [];
        }

        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 2);
            branches[parts[0]] = parts[1].Trim();
        }

        foreach (var pr in Objects(state, "pulls").Where(p => Str(p, "state") == "OPEN"))
        {
            if (branches[Str(pr, "headRefName")]?.GetValue<string>() is { } sha)
            {
                pr["headRefOid"] = sha;
            }
        }
    }

    private static int Saved(JsonObject state)
    {
        var temp = StatePath() + ".tmp";
        File.WriteAllText(temp, state.ToJsonString(Indented));
        File.Move(temp, StatePath(), overwrite: true);
        return 0;
    }

    private static JsonArray Items(JsonObject o, string name)
    {
        if (o[name] is not JsonArray items)
        {
            items = [];
            o[name] = items;
        }

        return items;
    }

    private static IEnumerable<JsonObject> Objects(JsonObject o, string name) => Items(o, name).OfType<JsonObject>();

    private static JsonObject FindIssue(JsonObject state, int number) =>
        Objects(state, "issues").FirstOrDefault(i => Num(i) == number)
        ?? throw new GhError($"GraphQL: Could not resolve to an issue or pull request with the number of {number}. (repository.issue)");

    private static JsonObject FindPull(JsonObject state, int number) =>
        Objects(state, "pulls").FirstOrDefault(p => Num(p) == number)
        ?? throw new GhError($"GraphQL: Could not resolve to a PullRequest with the number of {number}. (repository.pullRequest)");

    private static int NextNumber(JsonObject state) =>
        Objects(state, "issues").Concat(Objects(state, "pulls")).Select(Num).DefaultIfEmpty(0).Max() + 1;

    private static int Num(JsonObject o) => o["number"]?.GetValue<int>() ?? 0;

    private static string Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static List<string> Labels(JsonObject o) => o["labels"] is JsonArray a ? [.. a.Select(l => l!.GetValue<string>())] : [];

    private static string Owner(JsonObject state) => Str(state, "owner") is { Length: > 0 } o ? o : "octo";

    private static string RepoName(JsonObject state) => Str(state, "repo") is { Length: > 0 } r ? r : "widgets";

    private static string Slug(JsonObject state) => $"{Owner(state)}/{RepoName(state)}";

    private static string RepoUrl(JsonObject state) => $"https://github.com/{Slug(state)}";

    private static string Viewer(JsonObject state) => Str(state, "viewer") is { Length: > 0 } v ? v : "fleet-bot";

    private static string Creator(JsonObject state) => Str(state, "createAs") is { Length: > 0 } c ? c : Viewer(state);

    private static string Now(JsonObject state) =>
        Str(state, "now") is { Length: > 0 } now ? now : DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    // ---- argv, log, injected failures --------------------------------------------------------------------------

    private static Args Parse(string command, string[] args, string[] valueFlags, string[] boolFlags)
    {
        var values = new List<(string Flag, string Value)>();
        var bools = new HashSet<string>(StringComparer.Ordinal);
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(arg);
                continue;
            }

            var (flag, inline) = arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
            if (boolFlags.Contains(flag))
            {
                bools.Add(flag);
            }
            else if (valueFlags.Contains(flag))
            {
                var value = inline ?? (i + 1 < args.Length ? args[++i] : throw new GhError($"flag needs an argument: {flag}\n\nUsage:  {command} [flags]"));
                values.Add((flag, value));
            }
            else
            {
                throw new GhError($"unknown flag: {flag}\n\nUsage:  {command} [flags]");
            }
        }

        return new Args(command, values, bools, positional);
    }

    private static void Log(string[] args)
    {
        if (Environment.GetEnvironmentVariable("FAKE_GH_LOG") is not { Length: > 0 } log)
        {
            return;
        }

        var entry = new JsonObject
        {
            ["argv"] = new JsonArray([.. args.Select(a => (JsonNode)JsonValue.Create(a))]),
            ["cwd"] = Environment.CurrentDirectory,
        };
        if (Environment.GetEnvironmentVariable("FAKE_GH_LOG_ENV") == "1")
        {
            entry["env"] = new JsonObject([.. new[] { "GH_PROMPT_DISABLED", "GH_NO_UPDATE_NOTIFIER", "NO_COLOR", "GH_PAGER" }
                .Select(n => KeyValuePair.Create(n, (JsonNode?)Environment.GetEnvironmentVariable(n)))]);
        }

        // Under a lock of its own: lines of calls from parallel processes never interleave.
        using var held = Lock(log + ".lock");
        File.AppendAllText(log, entry.ToJsonString(Compact) + "\n", new UTF8Encoding(false));
    }

    private static void FailIfTold(string[] args)
    {
        if (Environment.GetEnvironmentVariable("FAKE_GH_FAIL") is not { Length: > 0 } rules)
        {
            return;
        }

        foreach (var rule in rules.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var words = rule.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var at = 0;
            foreach (var arg in args)
            {
                if (at < words.Length && arg == words[at])
                {
                    at++;
                }
            }

            if (at == words.Length)
            {
                throw new GhError(Environment.GetEnvironmentVariable("FAKE_GH_FAIL_MESSAGE") is { Length: > 0 } message
                    ? message
                    : words.Contains("--approve") ? "failed to create review: GraphQL: Can not approve your own pull request (addPullRequestReview)"
                    : words.Contains("--request-changes") ? "failed to create review: GraphQL: Can not request changes on your own pull request (addPullRequestReview)"
                    : $"HTTP 502: Server Error (fake gh failure injected for \"{rule}\")");
            }
        }
    }
}

internal sealed record Args(string Command, List<(string Flag, string Value)> Values, HashSet<string> Bools, List<string> Positional)
{
    public string? One(string flag) => Values.LastOrDefault(v => v.Flag == flag).Value;

    public List<string> All(string flag) => [.. Values.Where(v => v.Flag == flag).Select(v => v.Value)];

    public bool Has(string flag) => Bools.Contains(flag);

    /// <summary>The pull request or issue argument: a number (gh also takes "#N" and a URL).</summary>
    public int Number()
    {
        if (Positional.Count != 1)
        {
            throw new GhError($"fake gh: {Command} needs exactly one number (the fake does not find items by branch); got {Positional.Count} arguments");
        }

        var text = Positional[0].TrimStart('#');
        text = text.Contains('/', StringComparison.Ordinal) ? text[(text.LastIndexOf('/') + 1)..] : text;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new GhError($"invalid issue format: \"{Positional[0]}\"");
    }
}

internal sealed class GhError(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public GhError()
        : this("error")
    {
    }

    public GhError(string message, Exception inner)
        : this(message)
    {
        _ = inner;
    }
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Fleet.Gates.Policy;

namespace Fleet.Retro;

/// <summary>One gate as the retrospective sees it, from an inbox log, the journal, or a transcript.</summary>
/// <param name="Kind">permission, question, plan, escalation, pause, resume, kill, prompt_edit, interrupt, steer.</param>
/// <param name="Asked">The exact command or file (permission), the question text, the escalation's reason.</param>
/// <param name="Decision">allow, deny, answer, closed, resumed, killed, paused, edited; null while pending.</param>
/// <param name="DecidedBy">person, rule or closed.</param>
/// <param name="Answer">A question's answer as the person gave it.</param>
/// <param name="Reason">Why fleet asked (the inbox request's reason: "destructive operation (…)" when a destructive check forced the question).</param>
public sealed record RetroGate(
    string Id,
    string Kind,
    string? Tool = null,
    string? Asked = null,
    string? Decision = null,
    string? DecidedBy = "person",
    string? Answer = null,
    string? Run = null,
    string? Worker = null,
    int? Iteration = null,
    DateTimeOffset? AskedAt = null,
    DateTimeOffset? DecidedAt = null,
    long? WaitedMs = null,
    string? Reason = null)
{
    public bool ByPerson => DecidedBy == "person";
}

/// <summary>The classes a gate falls in; each either stays a gate (keep) or can be avoided next time.</summary>
public static class GateClasses
{
    public const string Destructive = "destructive";
    public const string RepeatedQuestion = "repeated_question";
    public const string SetupQuestion = "setup_question";
    public const string RepeatablePermission = "repeatable_permission";
    public const string Permission = "permission";
    public const string Question = "question";
    public const string PlanApproval = "plan_approval";
    public const string Escalation = "escalation";
    public const string Pause = "pause";
    public const string Interrupt = "interrupt";
    public const string Kill = "kill";
    public const string PromptEdit = "prompt_edit";
    public const string Rule = "rule";

    /// <summary>A person's message to a running worker (<c>fleet say</c>) or an interrupt, said once.</summary>
    public const string Steer = "steer";

    /// <summary>The same message said to workers more than once (this run and earlier ones): a default for the brief.</summary>
    public const string RepeatedCorrection = "repeated_correction";

    public const string Keep = "keep";
    public const string Avoid = "avoid";
}

/// <summary>A gate with its class.</summary>
/// <param name="Question">For a question to avoid: the question as first answered.</param>
/// <param name="Answer">For a question to avoid: the answer a person gave (null when none yet).</param>
public sealed record ClassifiedGate(RetroGate Gate, string Class, string Action, string Recommendation, string? Question = null, string? Answer = null);

/// <summary>One thing to do (or keep doing), in text a person can accept as is.</summary>
/// <param name="Rule">For an allow rule: the exact rule in Claude's syntax.</param>
/// <param name="Question">For a question to avoid: the question (<c>fleet doctrine</c> turns it into a default or a precondition).</param>
/// <param name="Answer">For a question to avoid: its answer.</param>
/// <param name="Worker">The worker whose gates these are, when all are one worker's.</param>
public sealed record GateRecommendation(string Class, string Action, string Text, int Count, IReadOnlyList<string> GateIds, string? Rule = null,
    string? Question = null, string? Answer = null, string? Worker = null);

public sealed record GateClassification(IReadOnlyList<ClassifiedGate> Gates, IReadOnlyList<GateRecommendation> Recommendations);

/// <summary>
/// Sorts a run's gates into those a person must keep deciding (destructive operations, escalations, plan approvals,
/// pauses) and those the next run can avoid: a question already answered (record the answer as a default), a set-up
/// question that belongs before launch (a step-0 precondition), a non-destructive permission approved every time
/// (an exact allow rule).
/// </summary>
public static partial class GateClassifier
{
    /// <summary>Near-same questions: this share of their words in common (Jaccard), after normalising.</summary>
    public const double NearSame = 0.75;

    /// <param name="gates">The run's gates, in the order they were asked.</param>
    /// <param name="history">Gates of earlier runs: their answers count for "already answered", their denials for "approved every time".</param>
    /// <param name="workingDirectory">Where the workers ran (for "rm -rf outside the worktree").</param>
    public static GateClassification Classify(IReadOnlyList<RetroGate> gates, IReadOnlyList<RetroGate>? history = null, string workingDirectory = "/")
    {
        ArgumentNullException.ThrowIfNull(gates);
        history ??= [];
        var answered = history.Where(IsAnsweredQuestion).ToList();
        var permissions = history.Concat(gates).Where(g => g.Kind == "permission" && g.ByPerson && RuleFor(g) is not null)
            .GroupBy(g => RuleFor(g)!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var said = history.Concat(gates).Where(IsSaid).ToList();
        var result = new List<ClassifiedGate>();
        foreach (var gate in gates)
        {
            if (IsSaid(gate) && said.Where(s => SameQuestion(s.Asked, gate.Asked)).ToList() is { Count: >= 2 } same)
            {
                // Grouped under the first wording, so near-same corrections make one recommendation.
                var correction = OneLine(same[0].Asked);
                result.Add(new ClassifiedGate(gate, GateClasses.RepeatedCorrection, GateClasses.Avoid,
                    $"Put it in the brief as a default: \"{correction}\" (a person had to say it {same.Count} times).", null, correction));
                continue;
            }

            var (cls, action, text) = ClassifyOne(gate, answered, permissions, workingDirectory);
            var first = cls == GateClasses.RepeatedQuestion ? answered.First(a => SameQuestion(a.Asked, gate.Asked)) : gate;
            result.Add(cls is GateClasses.RepeatedQuestion or GateClasses.SetupQuestion
                ? new ClassifiedGate(gate, cls, action, text, OneLine(first.Asked), OneLine(first.Answer))
                : new ClassifiedGate(gate, cls, action, text));
            if (IsAnsweredQuestion(gate))
            {
                answered.Add(gate);
            }
        }

        var recommendations = result.GroupBy(c => (c.Class, c.Action, c.Recommendation))
            .Select(g => new GateRecommendation(g.Key.Class, g.Key.Action, g.Key.Recommendation, g.Count(), [.. g.Select(c => c.Gate.Id)],
                g.Key.Class == GateClasses.RepeatablePermission ? RuleFor(g.First().Gate) : null, g.First().Question, g.First().Answer,
                g.Select(c => c.Gate.Worker).Distinct().ToList() is [{ } worker] ? worker : null))
            .OrderBy(r => r.Action == GateClasses.Avoid ? 0 : 1).ThenByDescending(r => r.Count).ThenBy(r => r.Class, StringComparer.Ordinal)
            .ToList();
        return new GateClassification(result, recommendations);
    }

    /// <summary>A message a person said to a running worker (not a bare interrupt).</summary>
    private static bool IsSaid(RetroGate gate) => gate.Kind == "steer" && gate.Decision != "interrupt" && gate.Asked is { Length: > 0 };

    /// <summary>The exact allow rule for a permission gate, in Claude's syntax (<c>Bash(npm test)</c>), or null when it names no operation.</summary>
    public static string? RuleFor(RetroGate gate)
    {
        ArgumentNullException.ThrowIfNull(gate);
        if (gate.Tool is not { Length: > 0 } tool)
        {
            return null;
        }

        var text = gate.Asked is { Length: > 0 } asked && tool is "Bash" or "Write" or "Edit" or "MultiEdit" or "Read" or "NotebookEdit"
            ? $"{tool}({asked.Trim()})"
            : tool == "WebFetch" && gate.Asked is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"WebFetch(domain:{uri.Host})" : tool;
        return GateRule.TryParse(text, out _, out _) ? text : null;
    }

    /// <summary>The destructive check a Bash permission matches, or null.</summary>
    public static string? DestructiveMatch(RetroGate gate, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(gate);
        if (gate.Reason is { } reason && reason.StartsWith("destructive", StringComparison.Ordinal))
        {
            var open = reason.IndexOf('(', StringComparison.Ordinal);
            var close = reason.IndexOf("): ", StringComparison.Ordinal) is var colon and >= 0 ? colon
                : reason.IndexOf("), ", StringComparison.Ordinal) is var comma and >= 0 ? comma : reason.LastIndexOf(')');
            return open >= 0 && close > open ? reason[(open + 1)..close] : reason;
        }

        return gate.Tool == "Bash" && gate.Asked is { Length: > 0 } command
            ? DestructiveOperations.Match(ShellCommand.Parse(command), workingDirectory)
            : null;
    }

    /// <summary>A question about the set-up (branch, environment, the test command …) that could be settled before launch.</summary>
    public static bool IsSetupQuestion(string? question) => question is { Length: > 0 } && SetupWords().IsMatch(question);

    /// <summary>Whether two questions are the same or nearly so (case, punctuation and word order aside).</summary>
    public static bool SameQuestion(string? a, string? b)
    {
        var x = Words(a);
        var y = Words(b);
        if (x.Count == 0 || y.Count == 0)
        {
            return false;
        }

        var common = x.Intersect(y, StringComparer.Ordinal).Count();
        return (double)common / x.Union(y, StringComparer.Ordinal).Count() >= NearSame;
    }

    private static (string Class, string Action, string Text) ClassifyOne(RetroGate gate, List<RetroGate> answered, Dictionary<string, List<RetroGate>> permissions, string cwd)
    {
        var keep = GateClasses.Keep;
        switch (gate.Kind)
        {
            case "permission" when DestructiveMatch(gate, cwd) is { } check:
                return (GateClasses.Destructive, keep, $"Keep: always ask before a destructive operation ({check}).");
            case "permission" when !gate.ByPerson:
                return (GateClasses.Rule, keep, "Nothing to do: a rule decided, no one was asked.");
            case "permission" when RuleFor(gate) is { } rule && permissions.TryGetValue(rule, out var all) && all.Count >= 2 && all.All(g => g.Decision == "allow"):
                return (GateClasses.RepeatablePermission, GateClasses.Avoid,
                    $"Add the allow rule {rule} to \"allow\" in .fleet/gates.json (approved {all.Count} of {all.Count} times, not destructive).");
            case "permission" when gate.Decision == "deny":
                return (GateClasses.Permission, keep, $"Keep: a person refused {gate.Tool ?? "the tool"}; state in the brief what the worker must not do instead.");
            case "permission":
                return (GateClasses.Permission, keep, "Keep: approved once; an allow rule needs more than one approval.");
            case "question" when answered.FirstOrDefault(a => SameQuestion(a.Asked, gate.Asked)) is { } earlier:
                return (GateClasses.RepeatedQuestion, GateClasses.Avoid, SettleText(earlier.Asked, earlier.Answer, setup: false));
            case "question" when IsSetupQuestion(gate.Asked):
                return (GateClasses.SetupQuestion, GateClasses.Avoid, SettleText(gate.Asked, gate.Answer, setup: true));
            case "question":
                return (GateClasses.Question, keep, "Keep: a question a person had to answer once.");
            case "plan":
                return (GateClasses.PlanApproval, keep, "Keep: a person approves the plan.");
            case "escalation":
                return (GateClasses.Escalation, keep, "Keep: the reviewer escalated to a person.");
            case "pause" or "resume":
                return (GateClasses.Pause, keep, "Keep: a person paused or resumed the run.");
            case "kill":
                return (GateClasses.Kill, keep, "Keep: a person stopped workers.");
            case "prompt_edit":
                return (GateClasses.PromptEdit, keep, "Keep: a person edited a brief mid-run; fold the edit into the brief before the next launch.");
            case "steer":
                return (GateClasses.Steer, keep, "Keep: a person steered a running worker once.");
            default:
                return (GateClasses.Interrupt, keep, "Keep: a person interrupted the agent.");
        }
    }

    /// <summary>
    /// What <c>fleet doctrine apply</c> makes of an answered question, in its words: a step-0 precondition when fleet has an
    /// automatic check for the answer, else a default in <c>.fleet/doctrine.md</c> that every later brief carries.
    /// </summary>
    private static string SettleText(string? asked, string? answer, bool setup)
    {
        var question = OneLine(asked);
        if (OneLine(answer) is not { Length: > 0 } given)
        {
            return $"Settle it before launch: record the answer to '{question}' in .fleet/doctrine.md (no answer on record).";
        }

        if (question is not null && AnswerChecks.For(question, given) is { } check)
        {
            return $"Settle it before launch: the step-0 precondition \"{check.Text}\" in .fleet/doctrine.md, checked by fleet launch (asked: '{question}', answered: {given}).";
        }

        return $"Record the default in .fleet/doctrine.md{(setup ? " (a set-up question fleet has no automatic check for)" : "")}: \"If you would ask '{question}', the answer is: {given}\".";
    }

    private static bool IsAnsweredQuestion(RetroGate g) => g.Kind == "question" && g.ByPerson && g.Answer is { Length: > 0 } && g.Asked is { Length: > 0 };

    private static string? OneLine(string? text) => text is null ? null : Whitespace().Replace(text, " ").Trim();

    private static HashSet<string> Words(string? text)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (text is null)
        {
            return set;
        }

        var normalized = new StringBuilder(text.Length);
        foreach (var c in text.ToLower(CultureInfo.InvariantCulture))
        {
            normalized.Append(char.IsLetterOrDigit(c) ? c : ' ');
        }

        foreach (var word in normalized.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            set.Add(word);
        }

        return set;
    }

    [GeneratedRegex(@"\b(branch(es)?|environments?|env|staging|production|prod|test command|run the tests|(which|what) command|node version|python version|package manager|database url|base url|port|credentials?|api key|target (directory|folder|repo(sitory)?))\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SetupWords();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();
}

namespace Fleet.Gates.Policy;

/// <summary>What the policy decided for one request.</summary>
public enum GateAction
{
    /// <summary>A rule allows it: answer the agent at once.</summary>
    Allow,

    /// <summary>A rule denies it: answer the agent at once.</summary>
    Deny,

    /// <summary>A person decides: write a request and wait for the answer.</summary>
    Ask,
}

/// <summary>A decision and why.</summary>
/// <param name="Rule">The rule that decided (allow or deny), or the destructive entry that forced a question.</param>
/// <param name="Reason">One sentence for the person or the log.</param>
public sealed record GateDecision(GateAction Action, string? Rule, string Reason);

/// <summary>
/// The rules in force for one worker: fleet.json's <c>gates</c>, the repository's <c>.fleet/gates.json</c>, and the
/// allow rules a person added for the rest of the run (<c>.fleet/gates.run.json</c>, passed to each decision).
/// </summary>
public sealed class GatePolicy
{
    public GatePolicy(IEnumerable<GateRule> allow, IEnumerable<GateRule> deny, IEnumerable<GateRule> destructive)
    {
        Allow = [.. allow];
        Deny = [.. deny];
        Destructive = [.. destructive];
    }

    public IReadOnlyList<GateRule> Allow { get; }

    public IReadOnlyList<GateRule> Deny { get; }

    /// <summary>The fleet's own destructive entries, on top of <see cref="DestructiveOperations.Shipped"/>.</summary>
    public IReadOnlyList<GateRule> Destructive { get; }

    /// <summary>Parses rule texts that were validated before; a bad one throws <see cref="FormatException"/>.</summary>
    public static GatePolicy Parse(IEnumerable<string>? allow, IEnumerable<string>? deny, IEnumerable<string>? destructive) => new(
        (allow ?? []).Select(GateRule.Parse), (deny ?? []).Select(GateRule.Parse), (destructive ?? []).Select(GateRule.Parse));

    /// <summary>
    /// Decides one request. Order: a deny rule denies; a destructive operation asks unless an exact allow rule
    /// names it; an opaque Bash command (one whose effect cannot be seen: code handed to a shell or interpreter, a
    /// program named at run time …) asks unless an exact allow rule names it; an allow rule allows; anything else
    /// asks. Questions always go to a person. Bash commands are judged by every program they would run
    /// (<see cref="BashAnalysis"/>).
    /// </summary>
    /// <param name="runAllow">Allow rules added during the run (<c>approve --always</c>).</param>
    /// <param name="unasked">
    /// What runs the request unasked where no rule matches it (codex's <c>workspace-write</c> sandbox, a gemini worker's
    /// permission mode): it is then allowed instead of asked, as the agent ran it before fleet gated it. Deny rules,
    /// destructive and opaque commands, and commands inside commands are judged as without it. Null: unmatched asks.
    /// </param>
    public GateDecision Decide(GateQuery query, IEnumerable<GateRule>? runAllow = null, Unasked? unasked = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.IsQuestion)
        {
            return new GateDecision(GateAction.Ask, null, "the agent asks a question");
        }

        var allow = Allow.Concat(runAllow ?? []).ToList();
        var shell = query.Tool == "Bash" && query.Command is { } command ? ShellCommand.Parse(command) : null;
        var analysis = shell is null ? null : BashAnalysis.Of(shell, query.WorkingDirectory);

        if (Deny.FirstOrDefault(r => MatchesAny(r, query, shell, analysis)) is { } denied)
        {
            return new GateDecision(GateAction.Deny, denied.Text, $"denied by the rule {denied.Text}");
        }

        var destructive = Destructive.FirstOrDefault(r => MatchesAny(r, query, shell, analysis))?.Text ?? analysis?.Destructive;
        if (destructive is not null)
        {
            var exact = allow.FirstOrDefault(r => !r.IsWildcard && r.Matches(query));
            return exact is not null
                ? new GateDecision(GateAction.Allow, exact.Text, $"destructive ({destructive}), allowed by the exact rule {exact.Text}")
                : new GateDecision(GateAction.Ask, destructive, $"destructive operation ({destructive}): a person decides, whatever wildcard rule matches");
        }

        // A command whose effect cannot be seen could hide any of the above: only the person's exact rule allows it.
        if (analysis?.Opaque is { } opaque)
        {
            var exact = allow.FirstOrDefault(r => !r.IsWildcard && r.Matches(query));
            return exact is not null
                ? new GateDecision(GateAction.Allow, exact.Text, $"opaque ({opaque}), allowed by the exact rule {exact.Text}")
                : new GateDecision(GateAction.Ask, null, $"opaque: {opaque}: a person decides, whatever wildcard rule matches");
        }

        if (shell is null)
        {
            var rule = allow.FirstOrDefault(r => r.Matches(query));
            return rule is not null
                ? new GateDecision(GateAction.Allow, rule.Text, $"allowed by the rule {rule.Text}")
                : Unmatched($"no allow rule matches {query.Tool}", unasked);
        }

        // Bash: the exact command, or every simple command of it, must be allowed (so "npm test && rm -rf x" is not
        // allowed by Bash(npm test:*)). Commands inside commands ($(…), backticks) defeat that split: then only a
        // rule for the whole command, or Bash for every command, allows it.
        var whole = query.Command!.Trim();
        var wholeRule = allow.FirstOrDefault(r => r.AppliesTo("Bash") && (r.Content is null || r.MatchesCommand(whole)) && (!shell.HasSubstitution || !r.IsWildcard || r.Content is null or "*"));
        if (shell.Parts.Count <= 1 || shell.HasSubstitution)
        {
            return wholeRule is not null
                ? new GateDecision(GateAction.Allow, wholeRule.Text, $"allowed by the rule {wholeRule.Text}")
                : shell.HasSubstitution ? new GateDecision(GateAction.Ask, null, "no allow rule matches the whole command (it runs commands inside commands)") : Unmatched("no allow rule matches Bash", unasked);
        }

        if (wholeRule is not null && !wholeRule.IsWildcard)
        {
            return new GateDecision(GateAction.Allow, wholeRule.Text, $"allowed by the rule {wholeRule.Text}");
        }

        var used = new List<string>();
        foreach (var part in shell.Texts)
        {
            var rule = allow.FirstOrDefault(r => r.AppliesTo("Bash") && r.MatchesCommand(part));
            if (rule is null)
            {
                return Unmatched($"no allow rule matches \"{part}\"", unasked);
            }

            if (!used.Contains(rule.Text))
            {
                used.Add(rule.Text);
            }
        }

        var rules = string.Join(", ", used);
        return new GateDecision(GateAction.Allow, rules, $"allowed by the rule{(used.Count == 1 ? string.Empty : "s")} {rules}");
    }

    private static GateDecision Unmatched(string reason, Unasked? unasked) => unasked is not null
        ? new GateDecision(GateAction.Allow, unasked.Rule, $"{reason}; {unasked.Why}")
        : new GateDecision(GateAction.Ask, null, reason);

    private static bool MatchesAny(GateRule rule, GateQuery query, ShellCommand? shell, BashAnalysis? analysis)
    {
        if (!rule.AppliesTo(query.Tool))
        {
            return false;
        }

        if (shell is null)
        {
            return rule.Matches(query);
        }

        // Deny and destructive rules also see the programs inside wrappers: env kubectl delete …, bash -c '…'.
        return rule.MatchesCommand(query.Command!.Trim()) || shell.Texts.Any(rule.MatchesCommand)
            || (analysis is not null && analysis.Commands.Any(c => c.Words.Count > 0 && rule.MatchesCommand(c.Text)));
    }
}

/// <summary>
/// What lets an agent run a request no rule of the fleet's matches without asking a person: <see cref="Rule"/> is what
/// the gate log names as the deciding rule, <see cref="Why"/> ends the decision's reason.
/// </summary>
public sealed record Unasked(string Rule, string Why)
{
    /// <summary>A codex command that runs inside codex's <c>workspace-write</c> sandbox (confined to the worktree).</summary>
    public static readonly Unasked CodexSandbox = new("sandbox", "it runs inside codex's workspace-write sandbox");
}

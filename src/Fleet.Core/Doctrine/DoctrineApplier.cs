using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Gates.Policy;
using Fleet.Retro;
using Fleet.Validation;

namespace Fleet.Doctrine;

/// <summary>What applying a retrospective's recommendations did, one line per recommendation, in its number's order.</summary>
/// <param name="Lines">"3. added the allow rule …", "2. already in the doctrine: …", "4. recorded as a default (no automatic check): …".</param>
public sealed record DoctrineResult(string Run, IReadOnlyList<string> Lines, int Added, IReadOnlyList<string> Files);

/// <summary>
/// Writes accepted recommendations of a run's retrospective into the repository: allow rules into
/// <c>.fleet/gates.json</c> (merged, validated, written atomically), defaults and preconditions into
/// <c>.fleet/doctrine.md</c>, and each precondition's check into <c>.fleet/preconditions.json</c>. Applying twice adds nothing twice.
/// </summary>
public static class DoctrineApplier
{
    public const string DefaultsSection = "## Defaults";
    public const string PreconditionsSection = "## Preconditions";

    private const string Template = """
        # Doctrine

        What earlier runs settled, written by `fleet doctrine apply` (edit freely). Every worker's brief carries this file;
        `fleet launch` checks the preconditions (`.fleet/preconditions.json`) before any worker starts.

        ## Defaults

        ## Preconditions

        """;

    /// <param name="only">Recommendation numbers as <c>fleet retro</c> lists them (1-based); null: every "avoid" recommendation.</param>
    /// <exception cref="ArgumentException">A number that is not a recommendation.</exception>
    /// <exception cref="InvalidDataException">The merged <c>.fleet/gates.json</c> would not be valid (nothing is written).</exception>
    public static DoctrineResult Apply(string root, Retrospective retro, IReadOnlyList<int>? only)
    {
        ArgumentNullException.ThrowIfNull(retro);
        var recs = retro.Recommendations;
        if (only?.Where(n => n < 1 || n > recs.Count).ToList() is [var bad, ..])
        {
            throw new ArgumentException($"no recommendation {bad} in run {retro.Run}'s retro (it lists {recs.Count})");
        }

        var chosen = only is null
            ? recs.Select((r, k) => (r, n: k + 1)).Where(x => x.r.Action == GateClasses.Avoid).ToList()
            : [.. only.Distinct().Order().Select(n => (r: recs[n - 1], n))];

        var gatesFile = Path.Combine(root, GateRuleFiles.RepoFileName);
        var doctrineFile = DoctrineFiles.Doctrine(root);
        var gates = File.Exists(gatesFile) ? JsonNode.Parse(File.ReadAllText(gatesFile)) as JsonObject
            ?? throw new InvalidDataException($"{GateRuleFiles.RepoFileName}: not a JSON object") : [];
        var allow = gates["allow"] as JsonArray ?? [];
        gates["allow"] = allow;
        var doctrine = (File.Exists(doctrineFile) ? File.ReadAllText(doctrineFile) : Template).ReplaceLineEndings("\n").Split('\n').ToList();
        var preconditions = DoctrineFiles.ReadPreconditions(root).ToList();
        bool gatesChanged = false, doctrineChanged = false, preconditionsChanged = false;
        var lines = new List<string>();
        var added = 0;
        foreach (var (rec, n) in chosen)
        {
            var source = $"run {retro.Run}, gate {string.Join(", ", rec.GateIds)}";
            if (rec.Action != GateClasses.Avoid)
            {
                lines.Add($"{n}. nothing to apply ({rec.Class}: {rec.Action}): {rec.Text}");
            }
            else if (rec.Class == GateClasses.RepeatablePermission && rec.Rule is { } rule)
            {
                if (allow.Any(a => a?.GetValueKind() == JsonValueKind.String && a.GetValue<string>() == rule))
                {
                    lines.Add($"{n}. already allowed in {GateRuleFiles.RepoFileName}: {rule}");
                    continue;
                }

                allow.Add((JsonNode)JsonValue.Create(rule));
                gatesChanged = true;
                added++;
                lines.Add($"{n}. added the allow rule {rule} to {GateRuleFiles.RepoFileName} ({source})");
            }
            else if (rec.Class == GateClasses.RepeatedCorrection && rec.Answer is { Length: > 0 } correction)
            {
                var entry = $"A person had to tell a worker more than once: {correction}";
                var isNew = AddBullet(doctrine, DefaultsSection, entry, source);
                doctrineChanged |= isNew;
                added += isNew ? 1 : 0;
                lines.Add(isNew ? $"{n}. added the default: {entry} ({source})" : $"{n}. already a default: {entry}");
            }
            else if (rec.Question is { Length: > 0 } question && rec.Answer is { Length: > 0 } answer)
            {
                if (CheckFor(question, answer) is { } check)
                {
                    var entry = $"{check.Text} (asked: \"{question}\")";
                    var isNew = AddBullet(doctrine, PreconditionsSection, entry, source);
                    if (!preconditions.Any(p => p.Text == check.Text && p.Check.SequenceEqual(check.Check)))
                    {
                        preconditions.Add(check with { Source = source });
                        preconditionsChanged = true;
                        isNew = true;
                    }

                    doctrineChanged |= isNew;
                    added += isNew ? 1 : 0;
                    lines.Add(isNew ? $"{n}. added the precondition \"{check.Text}\", checked at launch by: {string.Join(' ', check.Check)} ({source})"
                        : $"{n}. already a precondition: {check.Text}");
                }
                else
                {
                    var entry = $"If you would ask \"{question}\", the answer is: {answer}";
                    var isNew = AddBullet(doctrine, DefaultsSection, entry, source);
                    doctrineChanged |= isNew;
                    added += isNew ? 1 : 0;
                    var why = rec.Class == GateClasses.SetupQuestion ? " (no automatic check for it: recorded as a default, not a precondition)" : "";
                    lines.Add(isNew ? $"{n}. added the default{why}: {entry} ({source})" : $"{n}. already a default: {entry}");
                }
            }
            else
            {
                lines.Add($"{n}. nothing to apply: no answer on record ({rec.Class}): {rec.Text}");
            }
        }

        var files = new List<string>();
        if (gatesChanged)
        {
            var text = gates.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
            var errors = FleetValidator.ValidateGates(text, GateRuleFiles.RepoFileName, root).Where(d => d.Severity == Severity.Error).ToList();
            if (errors.Count > 0)
            {
                throw new InvalidDataException($"the merged {GateRuleFiles.RepoFileName} would not be valid; nothing was written:\n{string.Join('\n', errors)}");
            }

            DoctrineFiles.WriteAtomic(gatesFile, text);
            files.Add(GateRuleFiles.RepoFileName);
        }

        if (doctrineChanged)
        {
            DoctrineFiles.WriteAtomic(doctrineFile, string.Join('\n', doctrine));
            files.Add(DoctrineFiles.DoctrineFileName);
        }

        if (preconditionsChanged)
        {
            DoctrineFiles.WriteAtomic(DoctrineFiles.Preconditions(root), JsonSerializer.Serialize(preconditions, DoctrineJsonContext.Default.ListPrecondition) + "\n");
            files.Add(DoctrineFiles.PreconditionsFileName);
        }

        return new DoctrineResult(retro.Run, lines, added, files);
    }

    /// <summary>An automatic check for a set-up answer (the branch; the file the test command needs), or null when there is none.</summary>
    public static Precondition? CheckFor(string question, string answer) =>
        AnswerChecks.For(question, answer) is { } check ? new Precondition(check.Text, check.Check, "") : null;

    /// <summary>Adds "- ENTRY (SOURCE)" at the end of SECTION unless an entry with that text is already there; true when added.</summary>
    private static bool AddBullet(List<string> lines, string section, string entry, string source)
    {
        if (lines.Any(l => l.StartsWith($"- {entry} (run ", StringComparison.Ordinal) || l == $"- {entry}"))
        {
            return false;
        }

        var header = lines.FindIndex(l => l.Trim() == section);
        if (header < 0)
        {
            while (lines.Count > 0 && lines[^1].Length == 0)
            {
                lines.RemoveAt(lines.Count - 1);
            }

            lines.AddRange(["", section, ""]);
            header = lines.Count - 2;
        }

        var end = lines.FindIndex(header + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
        var pos = end < 0 ? lines.Count : end;
        while (pos - 1 > header && lines[pos - 1].Trim().Length == 0)
        {
            pos--;
        }

        var bullet = string.Create(CultureInfo.InvariantCulture, $"- {entry} ({source})");
        if (pos == header + 1)
        {
            lines.InsertRange(pos, ["", bullet]);
            pos += 2;
        }
        else
        {
            lines.Insert(pos++, bullet);
        }

        if (pos < lines.Count && lines[pos].StartsWith("## ", StringComparison.Ordinal))
        {
            lines.Insert(pos, "");
        }
        else if (pos == lines.Count)
        {
            lines.Add("");
        }

        return true;
    }
}

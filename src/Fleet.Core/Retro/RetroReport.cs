using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Fleet.Pricing;
using Fleet.Reviews;
using Fleet.State;
using Fleet.Telemetry;
using Fleet.Telemetry.Privacy;

namespace Fleet.Retro;

public sealed record RunTotals(string Run, int Iterations, int Spawns, decimal CostUsd, int Gates, int Interventions, double WaitedSeconds, int Lgtm, int Iterate);

public sealed record RetroVerdict(int Iteration, string Verdict, string? Reason);

/// <param name="IterationCostUsd">What the worker's iteration the gate fell in cost (a waiting agent spends nothing; this is the work the gate held up).</param>
public sealed record RetroGateLine(string Id, int? Iteration, string Kind, string? Asked, string? Decision, string? DecidedBy, double WaitedSeconds, double? DurationSeconds, decimal? IterationCostUsd, string Class, string Action, string Recommendation);

public sealed record RetroWorker(string Worker, int Iterations, int? IterationsToApproval, decimal CostUsd, int Rework, int Interventions, IReadOnlyList<RetroVerdict> Verdicts, IReadOnlyList<RetroGateLine> Stalls, IReadOnlyList<RetroGateLine> Gates);

public sealed record Retrospective(string Run, string? Fleet, RunTotals Totals, RunTotals? Previous, double StallSeconds, IReadOnlyList<RetroWorker> Workers, IReadOnlyList<RetroGateLine> RunGates, IReadOnlyList<GateRecommendation> Recommendations)
{
    /// <summary>The run's arm of the memory experiment (<see cref="RunArms"/>).</summary>
    public string Arm { get; init; } = RunArms.Memory;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(Retrospective))]
public sealed partial class RetroJsonContext : JsonSerializerContext;

/// <summary>The engagement log of one run: per worker, the road to approval and every gate; the run beside the previous one.</summary>
public static class RetroReport
{
    public static Retrospective Build(string root, string? run, TimeSpan stallAfter)
    {
        var layout = new FleetLayout(root);
        var entries = Journal.Read(layout.JournalFile);
        var starts = entries.Select((e, i) => (e, i)).Where(x => x.e.Type == JournalTypes.RunStarted && x.e.Run is not null).ToList();
        if (starts.Count == 0)
        {
            throw new InvalidOperationException($"{layout.Relative(layout.JournalFile)}: no run in the journal");
        }

        var index = run is null ? starts.Count - 1 : starts.FindIndex(x => x.e.Run == run);
        if (index < 0)
        {
            throw new InvalidOperationException($"no run {run} in the journal; runs: {string.Join(", ", starts.Select(x => x.e.Run))}");
        }

        RunState Slice(int k) => RunState.Fold(entries.Skip(starts[k].i).Take((k + 1 < starts.Count ? starts[k + 1].i : entries.Count) - starts[k].i));
        var state = Slice(index);
        var runId = state.RunId!;
        var all = GateTelemetry.ReadRoot(layout.Root, new PrivacyPolicy(PrivacyLevel.Full)).SelectMany(ToGates).ToList();
        var gates = all.Where(g => g.Run == runId).OrderBy(g => g.AskedAt).ToList();
        var earlier = starts.Take(index).Select(x => x.e.Run).ToHashSet(StringComparer.Ordinal);
        var classification = GateClassifier.Classify(gates, [.. all.Where(g => g.Run is { } r && earlier.Contains(r))], layout.Root);
        var pairs = classification.Gates.Select(c => (c.Gate.Worker, Line: Line(c, c.Gate is { Worker: { } w, Iteration: { } n } ? state.Worker(w, n).CostUsd : null))).ToList();
        var iterationsDir = Path.Combine(layout.Root, "iterations");
        if (index < starts.Count - 1)
        {
            iterationsDir = Path.Combine(layout.StateDir, "runs", runId, "iterations");
        }

        var workers = state.Workers.GroupBy(w => w.Worker, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var ran = g.Select(w => w.Iteration).Distinct().Order().ToList();
            var verdicts = state.Verdicts.Where(v => ran.Contains(v.Iteration)).OrderBy(v => v.Iteration)
                .Select(v => new RetroVerdict(v.Iteration, v.Verdict, SectionReason(iterationsDir, v.Iteration, g.Key) ?? v.Reason)).ToList();
            var approvedAt = verdicts.FirstOrDefault(v => v.Verdict == ReviewVerdicts.Lgtm)?.Iteration;
            var mine = pairs.Where(p => p.Worker == g.Key).Select(p => p.Line).ToList();
            return new RetroWorker(g.Key, ran.Count, approvedAt is { } a ? ran.Count(n => n <= a) : null, state.WorkerCostUsd(g.Key),
                verdicts.Count(v => v.Verdict == ReviewVerdicts.Iterate), mine.Count(l => l.DecidedBy == "person"), verdicts,
                [.. mine.Where(l => l.DecidedBy == "person" && l.WaitedSeconds >= stallAfter.TotalSeconds)], mine);
        }).ToList();
        var runGates = pairs.Where(p => p.Worker is null).Select(p => p.Line).ToList();
        var previous = index > 0 ? Totals(Slice(index - 1), all) : null;
        return new Retrospective(runId, state.FleetName, Totals(state, all), previous, stallAfter.TotalSeconds, workers, runGates, classification.Recommendations) { Arm = state.Arm };
    }

    public static string Markdown(Retrospective r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(inv, $"# Retrospective: {r.Fleet ?? "fleet"}, run {r.Run} ({r.Arm} arm)").AppendLine();
        md.AppendLine("| | this run" + (r.Previous is { } p0 ? $" | previous ({p0.Run})" : "") + " |").AppendLine(r.Previous is null ? "|---|---|" : "|---|---|---|");
        void Row(string name, Func<RunTotals, string> value) => md.AppendLine(string.Create(inv, $"| {name} | {value(r.Totals)}") + (r.Previous is { } p ? $" | {value(p)}" : "") + " |");
        Row("iterations", t => t.Iterations.ToString(inv));
        Row("worker spawns", t => t.Spawns.ToString(inv));
        Row("cost", t => Usd.Text(t.CostUsd));
        Row("gates", t => t.Gates.ToString(inv));
        Row("interventions (a person decided)", t => t.Interventions.ToString(inv));
        Row("waited on a person", t => Seconds(t.WaitedSeconds));
        Row("verdicts lgtm / iterate", t => $"{t.Lgtm} / {t.Iterate}");
        md.AppendLine().AppendLine("Interventions per worker: " + (r.Workers.Count == 0 ? "none" : string.Join(", ", r.Workers.Select(w => $"{w.Worker} {w.Interventions}")))
            + (r.RunGates.Count(g => g.DecidedBy == "person") is var n and > 0 ? $", run {n}" : "")).AppendLine();
        md.AppendLine("## Recommendations").AppendLine();
        foreach (var (rec, number) in r.Recommendations.Select((rec, k) => (rec, k + 1)))
        {
            md.AppendLine(inv, $"{number}. **{rec.Action}** ({rec.Class}, {rec.Count}×): {rec.Text}");
        }

        if (r.Recommendations.Any(rec => rec.Action == GateClasses.Avoid))
        {
            md.AppendLine().AppendLine(inv, $"Apply them with: fleet doctrine apply ROOT --run {r.Run} [--only N,M] (without --only: every \"avoid\").");
        }

        foreach (var w in r.Workers)
        {
            md.AppendLine().AppendLine(inv, $"## {w.Worker}").AppendLine();
            md.AppendLine(inv, $"- iterations: {w.Iterations}; to approval: {(w.IterationsToApproval is { } a ? a.ToString(inv) : "not approved")}; rework: {w.Rework}; cost: {Usd.Text(w.CostUsd)}; interventions: {w.Interventions}");
            foreach (var v in w.Verdicts)
            {
                md.AppendLine(string.Create(inv, $"- iteration {v.Iteration}: verdict {v.Verdict}") + (v.Reason is { Length: > 0 } reason ? $" — {OneLine(reason)}" : ""));
            }

            foreach (var s in w.Stalls)
            {
                md.AppendLine(inv, $"- stall: {s.Kind} {OneLine(s.Asked)} waited {Seconds(s.WaitedSeconds)} (iteration {s.Iteration})");
            }

            GateTable(md, w.Gates);
        }

        if (r.RunGates.Count > 0)
        {
            md.AppendLine().AppendLine("## Run gates").AppendLine();
            GateTable(md, r.RunGates);
        }

        return md.ToString();
    }

    private static void GateTable(StringBuilder md, IReadOnlyList<RetroGateLine> gates)
    {
        if (gates.Count == 0)
        {
            return;
        }

        md.AppendLine().AppendLine("| gate | iter | kind | asked | decision | by | wait | duration | iteration cost | class |").AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var g in gates)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {g.Id} | {g.Iteration} | {g.Kind} | {OneLine(g.Asked)?.Replace("|", "\\|", StringComparison.Ordinal)} | {g.Decision} | {g.DecidedBy} | {Seconds(g.WaitedSeconds)} | {(g.DurationSeconds is { } d ? Seconds(d) : "")} | {(g.IterationCostUsd is { } usd ? Usd.Text(usd) : null)} | {g.Class} ({g.Action}) |");
        }
    }

    private static RunTotals Totals(RunState s, List<RetroGate> all)
    {
        var gates = all.Where(g => g.Run == s.RunId).ToList();
        return new RunTotals(s.RunId!, s.Iteration, s.Workers.Count(w => w.Status != WorkerStatus.Skipped), s.Spent, gates.Count, gates.Count(g => g.ByPerson),
            gates.Where(g => g.ByPerson).Sum(g => (g.WaitedMs ?? 0) / 1000.0), s.Verdicts.Count(v => v.Verdict == ReviewVerdicts.Lgtm), s.Verdicts.Count(v => v.Verdict == ReviewVerdicts.Iterate));
    }

    /// <summary>A gate record as the classifier sees it; a question gate becomes one gate per question, each with the person's answer from its answer file.</summary>
    private static IEnumerable<RetroGate> ToGates(Fleet.Telemetry.Schema.HumanGateRecord h)
    {
        var gate = new RetroGate(h.GateId, h.GateKind, h.Tool, h.Asked, h.Decision, h.DecidedBy, null, h.Tags.Run, h.Tags.Worker, h.Tags.Iteration, h.Timestamp, h.DecidedAt, h.WaitedMs,
            h.GateKind == GateTelemetry.Permission ? ReadRequest(h)?.Reason : null);
        if (h.GateKind != GateTelemetry.Question || ReadAnswers(h) is not { Count: > 0 } answers)
        {
            return [gate];
        }

        return answers.Count == 1
            ? [gate with { Asked = answers.First().Key, Answer = answers.First().Value }]
            : answers.Select((a, k) => gate with { Id = string.Create(CultureInfo.InvariantCulture, $"{h.GateId}/{k + 1}"), Asked = a.Key, Answer = a.Value });
    }

    private static IReadOnlyDictionary<string, string>? ReadAnswers(Fleet.Telemetry.Schema.HumanGateRecord h) =>
        ReadInboxFile(h, Fleet.Gates.GatePaths.Answer, Fleet.Gates.GateJsonContext.Default.GateAnswer)?.Answers;

    private static Fleet.Gates.GateRequest? ReadRequest(Fleet.Telemetry.Schema.HumanGateRecord h) =>
        ReadInboxFile(h, Fleet.Gates.GatePaths.Request, Fleet.Gates.GateJsonContext.Default.GateRequest);

    /// <summary>A gate's inbox file beside the worker's gate log (the log's iteration folder); null when missing or unreadable.</summary>
    private static T? ReadInboxFile<T>(Fleet.Telemetry.Schema.HumanGateRecord h, Func<string, string, string> path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        if (h.Source.File is not { Length: > 0 } log || !log.EndsWith(".gates.jsonl", StringComparison.Ordinal))
        {
            return null;
        }

        var file = path(Path.GetDirectoryName(log)!, h.GateId);
        try
        {
            return File.Exists(file) ? System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(file), type) : null;
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static RetroGateLine Line(ClassifiedGate c, decimal? cost) =>
        new(c.Gate.Id, c.Gate.Iteration, c.Gate.Kind, c.Gate.Asked, c.Gate.Decision, c.Gate.DecidedBy, (c.Gate.WaitedMs ?? 0) / 1000.0,
            c.Gate.AskedAt is { } a && c.Gate.DecidedAt is { } d ? (d - a).TotalSeconds : null, cost, c.Class, c.Action, c.Recommendation);

    private static string? SectionReason(string iterationsDir, int iteration, string worker)
    {
        var file = Path.Combine(iterationsDir, iteration.ToString(CultureInfo.InvariantCulture), "review.md");
        return File.Exists(file) ? ReviewVerdicts.SectionFor(File.ReadAllText(file), worker)?.Trim() : null;
    }

    internal static string Seconds(double s) => s >= 60 ? $"{Math.Floor(s / 60).ToString(CultureInfo.InvariantCulture)}m {(s % 60).ToString("0", CultureInfo.InvariantCulture)}s" : $"{s.ToString("0.#", CultureInfo.InvariantCulture)}s";

    private static string? OneLine(string? text) => text is null ? null : string.Join(' ', text.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();
}

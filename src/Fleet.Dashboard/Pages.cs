using System.Globalization;
using Fleet.Gates;
using Fleet.Gates.Inbox;
using Fleet.Orchestration;
using Fleet.Pricing;
using Fleet.State;
using Fleet.Telemetry.Reports;
using Fleet.Trend;
using Fleet.UseCases;

namespace Fleet.Dashboard;

/// <summary>The dashboard's pages as server-rendered HTML: readable without JavaScript, which only keeps them live.</summary>
internal static class Pages
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Document(string title, string page, string? root, RawHtml body, string csrf, bool fragment)
    {
        var main = Html.Fragment(h => h.Add($"<main data-page=\"{page}\" data-root=\"{new RawHtml(System.Net.WebUtility.HtmlEncode(root ?? ""))}\">{body}</main>"));
        if (fragment)
        {
            return main.Value;
        }

        return new Html().Add($"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="fleet-csrf" content="{csrf}">
            <title>{title} · fleet dashboard</title>
            <link rel="stylesheet" href="/assets/dashboard.css"><script src="/assets/dashboard.js" defer></script>
            </head><body>
            <header><nav><a href="/">Fleets</a><a href="/inbox">Inbox</a><a href="/usage">Usage</a></nav><span id="live" title="live updates">static</span></header>
            <div id="flash" role="status"></div>
            {main}
            </body></html>
            """).ToString();
    }

    public static RawHtml Fleets(IReadOnlyList<ListedFleet> fleets, DateTimeOffset now) => Html.Fragment(h =>
    {
        h.Add($"<h1>Fleets</h1>");
        if (fleets.Count == 0)
        {
            return h.Add($"<p class=\"empty\">No fleets launched yet: <code>fleet launch ROOT</code> starts one, and it shows up here.</p>");
        }

        h.Add($"<table id=\"fleets\"><thead><tr><th>name</th><th>root</th><th>type</th><th>state</th><th>iteration</th><th>spend / cap</th><th>open gates</th><th>age</th></tr></thead><tbody>");
        foreach (var f in fleets)
        {
            var s = f.Status;
            var state = s?.State ?? "missing (the folder is gone)";
            h.Add($"<tr data-root=\"{f.Entry.Root}\"><td><a href=\"/fleet?root={Html.Query(f.Entry.Root)}\">{s?.Name ?? f.Entry.Name}</a></td><td><code>{f.Entry.Root}</code></td><td>{s?.Type}</td>")
                .Add($"<td class=\"state {StateClass(state)}\">{state}</td><td>{Iteration(s)}</td><td>{Spend(s)}</td>")
                .Add($"<td class=\"gates\">{(s is { NeedsYou.Count: > 0 } ? Html.Fragment(g => g.Add($"<a class=\"needs\" href=\"/inbox\">{s.NeedsYou.Count}</a>")) : new RawHtml("0"))}</td><td>{Age(now - f.Entry.RegisteredAt)}</td></tr>");
        }

        return h.Add($"</tbody></table>");
    });

    public static RawHtml Fleet(FleetView v, string csrf) => Html.Fragment(h =>
    {
        var s = v.Status;
        h.Add($"<h1>{s.Name} <span class=\"state {StateClass(s.State)}\">{s.State}</span></h1>")
            .Add($"<p><code>{s.Root}</code>{(s.Type is null ? "" : " · " + s.Type)}{(s.RunId is null ? "" : " · run " + s.RunId)} · iteration {Iteration(s)} · spend {Spend(s)} · orchestrator {(s.OrchestratorPid is { } pid ? $"running (pid {pid})" : "not running")}</p>");
        foreach (var warning in s.Warnings)
        {
            h.Add($"<p class=\"warning\">warning: {warning}</p>");
        }

        if (s.Why is { } why)
        {
            h.Add($"<p class=\"why\"><strong>Why it stopped:</strong> {why}</p>");
        }

        h.Add($"<section class=\"actions\"><h2>Actions</h2>")
            .Add($"{PostButton("/pause", csrf, s.Root, null, "Pause", "pause")} {PostButton("/resume", csrf, s.Root, null, "Resume", "resume")} <a class=\"button danger\" href=\"/kill?root={Html.Query(s.Root)}\">Kill…</a></section>");
        if (s.NeedsYou.Count > 0)
        {
            h.Add($"<section><h2>Needs you</h2>");
            foreach (var gate in s.NeedsYou)
            {
                h.Raw(Gate(gate, s.Root, s.Name, s.ReadAt, csrf));
            }

            h.Add($"</section>");
        }

        if (v.Layers.Count > 0)
        {
            h.Add($"<section><h2>Layers</h2><ol class=\"layers\">");
            foreach (var layer in v.Layers)
            {
                h.Add($"<li>{string.Join(", ", layer)}</li>");
            }

            h.Add($"</ol></section>");
        }

        h.Add($"<section><h2>Verdicts</h2>");
        if (s.Verdicts.Count == 0)
        {
            h.Add($"<p class=\"empty\">No verdict yet.</p>");
        }
        else
        {
            h.Add($"<table id=\"verdicts\"><thead><tr><th>iteration</th><th>verdict</th><th>source</th><th>reason</th></tr></thead><tbody>");
            foreach (var verdict in s.Verdicts)
            {
                h.Add($"<tr><td>{verdict.Iteration}</td><td class=\"verdict {verdict.Verdict}\">{verdict.Verdict}</td><td>{verdict.Source}</td><td><pre>{verdict.Reason}</pre></td></tr>");
            }

            h.Add($"</tbody></table>");
        }

        h.Add($"</section><section><h2>Workers</h2>");
        foreach (var iteration in v.Iterations.OrderByDescending(i => i.Number))
        {
            h.Add($"<h3>Iteration {iteration.Number}</h3><table class=\"workers\"><thead><tr><th>worker</th><th>state</th><th>duration</th><th>cost</th><th>pid</th><th>model</th><th>why</th></tr></thead><tbody>");
            foreach (var w in iteration.Workers)
            {
                h.Add($"<tr data-worker=\"{w.Worker}\"><td><a href=\"/worker?root={Html.Query(s.Root)}&amp;iteration={iteration.Number}&amp;worker={Html.Query(w.Worker)}\">{w.Worker}</a></td>")
                    .Add($"<td class=\"state {StateClass(w.State)}\">{w.State}</td><td>{Seconds(w.DurationSeconds)}</td><td>{(w.CostUsd is { } c ? Usd.Text(c) : "")}</td><td>{w.Pid}</td><td>{w.Model}</td><td>{FirstLine(w.Reason)}</td></tr>");
            }

            h.Add($"</tbody></table>");
        }

        h.Add($"</section><section><h2>Runs</h2>");
        if (v.Trend.Count == 0)
        {
            h.Add($"<p class=\"empty\">No run recorded yet.</p>");
        }
        else
        {
            h.Add($"<table id=\"runs\"><thead><tr><th>run</th><th>started</th><th>workers</th><th>interventions/worker</th><th>cost</th><th>iterations to approval</th><th>gates by class</th></tr></thead><tbody>");
            foreach (var r in v.Trend)
            {
                h.Add($"<tr><td>{r.Run}{(r.Run == s.RunId ? " (this run)" : "")}</td><td>{r.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", Inv)}</td><td>{r.Workers}</td><td>{r.InterventionsPerWorker.ToString("0.##", Inv)}</td><td>{Usd.Text(r.CostUsd)}</td><td>{TrendReport.Approval(r)}</td><td>{TrendReport.Classes(r)}</td></tr>");
            }

            h.Add($"</tbody></table><div class=\"charts\">{new RawHtml(TrendHtml.Charts(v.Trend))}</div>");
        }

        return h.Add($"</section>");
    });

    public static RawHtml Worker(WorkerView v, string csrf) => Html.Fragment(h =>
    {
        h.Add($"<p class=\"crumbs\"><a href=\"/fleet?root={Html.Query(v.Root)}\">{v.FleetName}</a> › iteration {v.Iteration}</p>")
            .Add($"<h1>{v.Worker} <span class=\"state {StateClass(v.State)}\">{v.State}</span></h1>")
            .Add($"<p>{(v.Model is null ? "" : "model " + v.Model + " · ")}{(v.Pid is { } pid ? $"pid {pid} · " : "")}{(v.CostUsd is { } c ? "cost " + Usd.Text(c) + " · " : "")}{Seconds(v.DurationSeconds)}</p>");
        h.Add($"<section class=\"actions\"><h2>Steer</h2>")
            .Add($"<form method=\"post\" action=\"/steer\" class=\"act steer\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"root\" value=\"{v.Root}\"><input type=\"hidden\" name=\"worker\" value=\"{v.Worker}\">")
            .Add($"<input name=\"message\" placeholder=\"tell the agent…\" size=\"60\"> <label><input type=\"checkbox\" name=\"now\" value=\"1\"> now (interrupt its turn)</label> <button name=\"mode\" value=\"say\">Say</button> <button name=\"mode\" value=\"interrupt\">Interrupt</button></form>")
            .Add($" <a class=\"button danger\" href=\"/kill?root={Html.Query(v.Root)}&amp;worker={Html.Query(v.Worker)}\">Kill this worker…</a></section>");
        if (v.Gates.Count > 0)
        {
            h.Add($"<section><h2>Gates</h2>");
            foreach (var gate in v.Gates)
            {
                h.Raw(gate.State == InboxGateState.Open ? Gate(gate, v.Root, v.FleetName, v.ReadAt, csrf) : ClosedGate(gate));
            }

            h.Add($"</section>");
        }

        if (v.Steers.Count > 0)
        {
            h.Add($"<section><h2>Steers</h2><ul class=\"steers\">");
            foreach (var steer in v.Steers)
            {
                h.Add($"<li>{steer.Ts.UtcDateTime.ToString("HH:mm:ss", Inv)} {steer.Reason}{(steer.Message is null ? "" : ": " + steer.Message)}</li>");
            }

            h.Add($"</ul></section>");
        }

        h.Add($"<section><h2>Stream</h2>{(v.StreamCut ? Html.Fragment(x => x.Add($"<p class=\"note\">the start of the stream is left out: the last {v.Stream.Count} lines</p>")) : new RawHtml(""))}<pre class=\"stream\" id=\"stream\">");
        foreach (var line in v.Stream)
        {
            h.Add($"<span class=\"{LineClass(line)}\">{line}</span>\n");
        }

        h.Add($"</pre></section>");
        File(h, "Last message", v.LastMessage);
        File(h, "Review", v.Review);
        File(h, "Prompt", v.Prompt);
        return h;
    });

    public static RawHtml Inbox(IReadOnlyList<ListedFleet> fleets, DateTimeOffset now, string csrf) => Html.Fragment(h =>
    {
        var open = fleets.Where(f => f.Status is { NeedsYou.Count: > 0 }).ToList();
        h.Add($"<h1>Inbox</h1>");
        if (open.Count == 0)
        {
            return h.Add($"<p class=\"empty\" id=\"inbox-empty\">Nothing needs you.</p>");
        }

        foreach (var f in open)
        {
            h.Add($"<section><h2><a href=\"/fleet?root={Html.Query(f.Entry.Root)}\">{f.Status!.Name}</a></h2>");
            foreach (var gate in f.Status.NeedsYou)
            {
                h.Raw(Gate(gate, f.Entry.Root, f.Status.Name, now, csrf));
            }

            h.Add($"</section>");
        }

        return h;
    });

    public static RawHtml Usage(UsageReportJson? report, string by, string? problem) => Html.Fragment(h =>
    {
        h.Add($"<h1>Usage</h1><p class=\"tabs\">by ");
        foreach (var g in (string[])["day", "model", "fleet", "worker"])
        {
            h.Add($"<a href=\"/usage?by={g}\"{(g == by ? new RawHtml(" class=\"current\"") : new RawHtml(""))}>{g}</a> ");
        }

        h.Add($"</p>");
        if (report is null)
        {
            return h.Add($"<p class=\"empty\">{problem ?? "No usage recorded yet."}</p>");
        }

        h.Add($"<p>From the flight recorder's store <code>{report.Db}</code> as it is (<code>fleet usage</code> ingests the agents' transcripts into it); prices as of {report.PricesAsOf}.</p>")
            .Add($"<table id=\"usage\"><thead><tr><th>{by}</th><th>model</th><th>input</th><th>output</th><th>cache write</th><th>cache read</th><th>cost</th></tr></thead><tbody>");
        foreach (var row in report.Rows)
        {
            var first = true;
            foreach (var m in row.Models)
            {
                h.Add($"<tr><td>{(first ? row.Key : "")}</td><td>{m.Model}</td><td>{m.InputTokens:N0}</td><td>{m.OutputTokens:N0}</td><td>{m.CacheCreationTokens:N0}</td><td>{m.CacheReadTokens:N0}</td><td>{(m.CostUsd is { } c ? Usd.Text(c) : "?")}</td></tr>");
                first = false;
            }
        }

        var t = report.Totals;
        return h.Add($"</tbody><tfoot><tr><th>total</th><th></th><th>{t.InputTokens:N0}</th><th>{t.OutputTokens:N0}</th><th>{t.CacheCreationTokens:N0}</th><th>{t.CacheReadTokens:N0}</th><th>{Usd.Text(t.CostUsd)}</th></tr></tfoot></table>");
    });

    /// <summary>What a kill stops, named before it is done.</summary>
    public static RawHtml KillConfirm(FleetStatus s, string? worker, IReadOnlyList<string> dies, string csrf) => Html.Fragment(h =>
    {
        h.Add($"<h1>Kill {(worker is null ? "the fleet " + s.Name : worker + " of " + s.Name)}?</h1><p>This stops, at once and for good:</p><ul id=\"dies\">");
        foreach (var what in dies)
        {
            h.Add($"<li>{what}</li>");
        }

        h.Add($"</ul>{(worker is null ? Html.Fragment(x => x.Add($"<p>The fleet also leaves the list of fleets. Its files stay.</p>")) : new RawHtml(""))}")
            .Add($"<form method=\"post\" action=\"/kill\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"root\" value=\"{s.Root}\">{(worker is null ? new RawHtml("") : Html.Fragment(x => x.Add($"<input type=\"hidden\" name=\"worker\" value=\"{worker}\">")))}")
            .Add($"<button class=\"danger\" id=\"confirm-kill\">Kill {(worker ?? "the fleet")}</button> <a href=\"/fleet?root={Html.Query(s.Root)}\">Cancel</a></form>");
        return h;
    });

    public static RawHtml Message(string title, string message, string? back) => Html.Fragment(h =>
        h.Add($"<h1>{title}</h1><p class=\"result\">{message}</p>{(back is null ? new RawHtml("") : Html.Fragment(x => x.Add($"<p><a href=\"{new RawHtml(System.Net.WebUtility.HtmlEncode(back))}\">back</a></p>")))}"));

    private static RawHtml Gate(InboxGate gate, string root, string fleet, DateTimeOffset now, string csrf) => Html.Fragment(h =>
    {
        var r = gate.Request;
        var destructive = r.Reason.StartsWith("destructive", StringComparison.Ordinal);
        h.Add($"<article class=\"gate{(destructive ? " destructive" : "")}\" id=\"gate-{r.Id}\" data-gate=\"{r.Id}\">")
            .Add($"<h3>{r.Worker} {(gate.IsQuestion ? "asks" : "wants " + r.Tool)} <small>{fleet} · iteration {r.Iteration} · {r.Id} · waiting {GateText.Duration(gate.Waited(now))}{(destructive ? " · destructive" : "")}</small></h3>")
            .Add($"<pre class=\"request\">{r.Summary}</pre>{(r.Input is null ? new RawHtml("") : Html.Fragment(x => x.Add($"<details><summary>exact request</summary><pre>{r.Input.ToJsonString(GatePaths.Options)}</pre></details>")))}<p class=\"reason\">{r.Reason}</p>")
            .Add($"<form method=\"post\" action=\"/gate\" class=\"act answer\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"root\" value=\"{root}\"><input type=\"hidden\" name=\"gate\" value=\"{r.Id}\">");
        if (gate.IsQuestion)
        {
            var questions = GateQuestion.Of(r);
            foreach (var (q, i) in questions.Select((q, i) => (q, i)))
            {
                h.Add($"<fieldset><legend>{q.Text}{(q.MultiSelect ? " (several: comma-separated)" : "")}</legend>");
                foreach (var option in q.Options)
                {
                    h.Add($"<label><input type=\"radio\" name=\"pick{i}\" value=\"{option}\" data-answer=\"answer{i}\"> {option}</label> ");
                }

                h.Add($"<input name=\"answer\" id=\"answer{i}\" placeholder=\"answer\"></fieldset>");
            }

            if (questions.Count == 0)
            {
                h.Add($"<input name=\"answer\" placeholder=\"answer\">");
            }

            h.Add($"<button name=\"decision\" value=\"answer\">Answer</button> ");
        }
        else
        {
            h.Add($"<button name=\"decision\" value=\"allow\" class=\"approve\">Approve once</button> <button name=\"decision\" value=\"always\" class=\"always\">Approve always</button> ");
        }

        return h.Add($"<input name=\"message\" placeholder=\"why (told to the agent)\"> <button name=\"decision\" value=\"deny\" class=\"deny\">Deny</button></form></article>");
    });

    private static RawHtml ClosedGate(InboxGate gate) => Html.Fragment(h =>
    {
        var r = gate.Request;
        var how = gate.State switch
        {
            InboxGateState.Closed => $"{gate.Closed!.Decision} by {(gate.Closed.DecidedBy == "person" ? gate.Answer?.By ?? "a person" : gate.Closed.DecidedBy)}{(gate.Closed.Message is { } m ? ": " + m : "")}",
            InboxGateState.Answered => $"answered ({gate.Answer?.Decision}); the worker has not been told yet",
            _ => "abandoned (the worker ended unanswered)",
        };
        h.Add($"<article class=\"gate closed\" data-gate=\"{r.Id}\"><p>{r.Id}: {r.Tool}: {GateText.OneLine(r.Summary)} — {how}</p></article>");
        return h;
    });

    private static void File(Html h, string title, string? text)
    {
        if (text is not null)
        {
            h.Add($"<section><h2>{title}</h2><pre class=\"file\">{text}</pre></section>");
        }
    }

    private static RawHtml PostButton(string action, string csrf, string root, string? worker, string label, string id) =>
        Html.Fragment(h => h.Add($"<form method=\"post\" action=\"{action}\" class=\"act inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"root\" value=\"{root}\">{(worker is null ? new RawHtml("") : Html.Fragment(x => x.Add($"<input type=\"hidden\" name=\"worker\" value=\"{worker}\">")))}<button id=\"{id}\">{label}</button></form>"));


    private static string Iteration(FleetStatus? s) => s is null ? "" : s.MaxIterations is { } max ? $"{s.Iteration} of {max}" : s.Iteration.ToString(Inv);

    private static string Spend(FleetStatus? s) => s is null ? "" : Usd.Text(s.Spent) + (s.CostCapUsd is { } cap ? " of " + Usd.Text(cap) : "");

    private static string Seconds(double? seconds) => seconds is { } d ? GateText.Duration(TimeSpan.FromSeconds(d)) : "";

    public static string Age(TimeSpan age) => GateText.Duration(age);

    private static string? FirstLine(string? text) => text?.Split('\n', 2)[0].Trim();

    private static string StateClass(string state) => state.Split(' ', 2)[0].Replace(':', ' ').Trim() switch
    {
        "running" or "starting" => "running",
        "done" or "succeeded" => "ok",
        "failed" or "killed" or "journal" or "lost" => "bad",
        "paused" or "escalated" or "limited" => "attention",
        _ => "other",
    };

    private static string LineClass(string line) => line switch
    {
        _ when line.StartsWith('▸') || line.StartsWith("  ▸", StringComparison.Ordinal) => "tool",
        _ when line.Contains('✗') => "error",
        _ when line.StartsWith('✓') => "done",
        _ when line.StartsWith('●') => "session",
        _ => "text",
    };
}

/// <summary>A fleet's page: its status, its workers per iteration, the plan's layers, its runs.</summary>
internal sealed record FleetView(FleetStatus Status, IReadOnlyList<IterationView> Iterations, IReadOnlyList<IReadOnlyList<string>> Layers, IReadOnlyList<TrendRow> Trend);

internal sealed record IterationView(int Number, IReadOnlyList<WorkerRow> Workers);

internal sealed record WorkerRow(string Worker, string State, double? DurationSeconds, decimal? CostUsd, int? Pid, string? Model, string? Reason);

/// <summary>A worker's page.</summary>
internal sealed record WorkerView(
    string Root,
    string FleetName,
    string Worker,
    int Iteration,
    string State,
    double? DurationSeconds,
    decimal? CostUsd,
    int? Pid,
    string? Model,
    IReadOnlyList<InboxGate> Gates,
    IReadOnlyList<JournalEntry> Steers,
    IReadOnlyList<string> Stream,
    bool StreamCut,
    string? Prompt,
    string? Review,
    string? LastMessage,
    DateTimeOffset ReadAt);

using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using System.Text.Json;
using Fleet.Gates.Inbox;
using Fleet.Orchestration;
using Fleet.Paths;
using Fleet.Pricing;
using Fleet.State;
using Fleet.Telemetry.Reports;
using Fleet.Telemetry.Store;
using Fleet.UseCases;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.Dashboard;

/// <summary>How to run the dashboard.</summary>
/// <param name="Listen">Where it listens (<see cref="ListenPlan.Decide"/>).</param>
/// <param name="FleetCommand">The argv that runs fleet itself, for a resume that must start an orchestrator.</param>
/// <param name="By">Who answers gates from this dashboard (recorded with each answer).</param>
public sealed record DashboardOptions(ListenPlan Listen, IReadOnlyList<string> FleetCommand, string By)
{
    /// <summary>Changes of one root within this window go out as one event.</summary>
    public TimeSpan Gather { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The session token; null: a new random one.</summary>
    public string? Token { get; init; }
}

/// <summary>
/// <c>fleet dashboard</c>'s web server (Kestrel): the pages, the actions (through the same use cases as the CLI) and the
/// live events. Every request passes <see cref="DashboardSecurity"/> first. Dispose to stop.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private const int MaxFormBytes = 64 * 1024;
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    private readonly WebApplication _app;
    private readonly FleetHost _host;
    private readonly DashboardOptions _options;
    private readonly DashboardReader _reader;
    private readonly LiveEvents _events;
    private readonly CancellationTokenSource _stopping = new();
    private FleetWatch? _watch;
    private DashboardSecurity _security = null!;
    private int _disposed;

    private DashboardServer(WebApplication app, FleetHost host, DashboardOptions options)
    {
        _app = app;
        _host = host;
        _options = options;
        _reader = new DashboardReader(host);
        _events = new LiveEvents(host.Time, options.Gather);
    }

    /// <summary>e.g. <c>http://127.0.0.1:7420/</c>: the address, without the token.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The address with the session token: what the person opens first.</summary>
    public Uri TokenUrl => new(Url, "/?token=" + _security.Token);

    public DashboardSecurity Security => _security;

    public LiveEvents Events => _events;

    public static async Task<DashboardServer> StartAsync(FleetHost host, DashboardOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);

        // An empty builder: no appsettings.json from the folder it runs in, no ASPNETCORE_* environment, no console logging.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "fleet-dashboard" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = MaxFormBytes;
            k.Listen(options.Listen.Address, options.Listen.Port);
        });
        var app = builder.Build();
        var server = new DashboardServer(app, host, options);
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        var bound = app.Urls.FirstOrDefault() ?? throw new InvalidOperationException("the dashboard did not report its address");
        var port = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
        var address = options.Listen.Address;
        var shown = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "127.0.0.1" : DashboardSecurity.HostName(address);
        server.Url = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{shown}:{port}/"));
        server._security = new DashboardSecurity(options.Token ?? DashboardSecurity.NewToken(), DashboardSecurity.HostsFor(address, InterfaceAddresses()), port);
        server._watch = new FleetWatch(new FleetRegistry(host.UserDirs), server._events, host.Time);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        _watch?.Dispose();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(cts.Token);
        }

        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private static IEnumerable<IPAddress> InterfaceAddresses()
    {
        try
        {
            return [.. NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(a => a.Address)];
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        var response = ctx.Response;
        var ct = ctx.RequestAborted;
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XFrameOptions = "DENY";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

        var unsafeMethod = !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method);
        var host = request.Headers.Host.ToString();
        var queryToken = request.Query["token"].ToString() is { Length: > 0 } q ? q : null;
        request.Cookies.TryGetValue(_security.CookieName, out var cookieToken);
        var origin = request.Headers.Origin.ToString() is { Length: > 0 } o ? o : null;
        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString() is { Length: > 0 } f ? f : null;
        var csrf = request.Headers["X-CSRF-Token"].ToString() is { Length: > 0 } c ? c : null;
        var admission = _security.Admit(host, queryToken, cookieToken, unsafeMethod, origin, fetchSite, csrf);
        IFormCollection? form = null;
        if (admission == Admission.NoCsrfToken && request.HasFormContentType)
        {
            try
            {
                form = await request.ReadFormAsync(ct);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
            {
                await PlainAsync(response, 400, "the form could not be read", ct);
                return;
            }

            admission = _security.Admit(host, queryToken, cookieToken, unsafeMethod, origin, fetchSite, form["csrf"].ToString());
        }

        switch (admission)
        {
            case Admission.WrongHost:
                await PlainAsync(response, 403, "refused: this dashboard answers only to its own address (127.0.0.1, localhost or the --listen address) and port", ct);
                return;
            case Admission.NoToken:
                await UnauthorizedAsync(ctx, ct);
                return;
            case Admission.CrossOrigin:
                await PlainAsync(response, 403, "refused: a change must come from a page of this dashboard (same origin)", ct);
                return;
            case Admission.NoCsrfToken:
                await PlainAsync(response, 403, "refused: the request lacks this session's CSRF token (reload the page)", ct);
                return;
        }

        if (queryToken is not null)
        {
            // The token leaves the address bar at once: from now on the cookie carries it.
            response.Cookies.Append(_security.CookieName, _security.Token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true });
            if (!unsafeMethod)
            {
                response.Redirect(WithoutToken(request));
                response.StatusCode = 303;
                return;
            }
        }

        try
        {
            if (unsafeMethod)
            {
                form ??= request.HasFormContentType ? await request.ReadFormAsync(ct) : FormCollection.Empty;
                await PostAsync(ctx, request.Path.Value ?? "/", form, ct);
            }
            else
            {
                await GetAsync(ctx, request.Path.Value ?? "/", ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
        }
    }

    private static string WithoutToken(HttpRequest request)
    {
        var rest = request.Query.Where(p => p.Key != "token").Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value.ToString())).ToList();
        return (request.Path.Value ?? "/") + (rest.Count == 0 ? "" : "?" + string.Join('&', rest));
    }

    private static async Task UnauthorizedAsync(HttpContext ctx, CancellationToken ct)
    {
        var request = ctx.Request;

        // A link followed from another site (a notification in a chat) arrives without the SameSite=Strict cookie; the
        // same address loaded again from here carries it. Once only (_r), so a browser without the cookie is told why.
        var retry = HttpMethods.IsGet(request.Method) && request.Headers["Sec-Fetch-Site"] == "cross-site" && !request.Query.ContainsKey("_r");
        var again = (request.Path.Value ?? "/") + (request.QueryString.HasValue ? request.QueryString.Value + "&_r=1" : "?_r=1");
        var body = new Html().Add($"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{(retry ? Html.Fragment(h => h.Add($"<meta http-equiv=\"refresh\" content=\"0;url={again}\">")) : new RawHtml(""))}<title>fleet dashboard: token needed</title></head>
            <body><h1>401: this dashboard needs its session token</h1><p>Open the address <code>fleet dashboard</code> printed when it started (it ends in <code>?token=…</code>); this browser then keeps the session.</p></body></html>
            """).ToString();
        ctx.Response.StatusCode = 401;
        ctx.Response.ContentType = "text/html; charset=utf-8";
        await ctx.Response.WriteAsync(body, ct);
    }

    private async Task GetAsync(HttpContext ctx, string path, CancellationToken ct)
    {
        var query = ctx.Request.Query;
        var fragment = ctx.Request.Headers["X-Fleet-Fragment"] == "1";
        var csrf = _security.CsrfToken;
        var now = _host.Time.GetUtcNow();
        switch (path)
        {
            case "/":
                await PageAsync(ctx, Pages.Document("Fleets", "fleets", null, Pages.Fleets(await _reader.ListAsync(ct), now), csrf, fragment), ct);
                return;
            case "/inbox":
                await PageAsync(ctx, Pages.Document("Inbox", "inbox", null, Pages.Inbox(await _reader.ListAsync(ct), now, csrf), csrf, fragment), ct);
                return;
            case "/usage":
                await UsageAsync(ctx, query["by"].ToString(), fragment, ct);
                return;
            case "/fleet" when _reader.KnownRoot(query["root"]) is { } root:
                var fleet = await _reader.FleetAsync(root, ct);
                await PageAsync(ctx, Pages.Document(fleet.Status.Name, "fleet", root, Pages.Fleet(fleet, csrf), csrf, fragment), ct);
                return;
            case "/worker" when _reader.KnownRoot(query["root"]) is { } root
                && int.TryParse(query["iteration"], NumberStyles.None, CultureInfo.InvariantCulture, out var iteration)
                && await _reader.WorkerAsync(root, query["worker"].ToString(), iteration, ct) is { } worker:
                await PageAsync(ctx, Pages.Document($"{worker.Worker} · {worker.FleetName}", "worker", root, Pages.Worker(worker, csrf), csrf, fragment), ct);
                return;
            case "/kill" when _reader.KnownRoot(query["root"]) is { } root:
                var status = (await _reader.FleetAsync(root, ct)).Status;
                var target = query["worker"].ToString() is { Length: > 0 } w ? w : null;
                await PageAsync(ctx, Pages.Document("Kill?", "kill", root, Pages.KillConfirm(status, target, WhatDies(status, target), csrf), csrf, fragment), ct);
                return;
            case "/events":
                await EventsAsync(ctx, ct);
                return;
            case "/assets/dashboard.css":
                await AssetAsync(ctx.Response, "dashboard.css", "text/css; charset=utf-8", ct);
                return;
            case "/assets/dashboard.js":
                await AssetAsync(ctx.Response, "dashboard.js", "text/javascript; charset=utf-8", ct);
                return;
            default:
                await PageAsync(ctx, Pages.Document("Not found", "missing", null, Pages.Message("Not found", "No such page, fleet or worker here.", "/"), csrf, fragment), ct, 404);
                return;
        }
    }

    /// <summary>What a kill stops, from the fleet's status and its workers' claims.</summary>
    private static List<string> WhatDies(FleetStatus status, string? worker)
    {
        var dies = new List<string>();
        var layout = new FleetLayout(status.Root);
        foreach (var (dir, id) in FleetKiller.Claims(layout).Where(c => worker is null || c.Worker == worker))
        {
            if (Fleet.Workers.WorkerClaim.TryRead(dir, id) is { } claim && (claim.Shim.IsAlive || claim.Agent?.IsAlive == true))
            {
                dies.Add($"worker {id} (iteration {Path.GetFileName(dir)}): its agent{(claim.AgentPid is { } pid ? $" (pid {pid})" : "")}, every process it started, and its shim (pid {claim.ShimPid})");
            }
        }

        if (worker is null)
        {
            if (status.OrchestratorPid is { } pid)
            {
                dies.Add($"the orchestrator (pid {pid}): the run ends as killed");
            }

            if (status.SpawnMode == "tmux")
            {
                dies.Add("the fleet's tmux session");
            }
        }

        if (dies.Count == 0)
        {
            dies.Add(worker is null ? "nothing is running; the run is marked killed" : $"nothing: {worker} is not running");
        }

        return dies;
    }

    private async Task UsageAsync(HttpContext ctx, string by, bool fragment, CancellationToken ct)
    {
        var grouping = by switch
        {
            "model" => UsageGrouping.Model,
            "fleet" => UsageGrouping.Fleet,
            "worker" => UsageGrouping.Worker,
            _ => UsageGrouping.Day,
        };
        by = grouping.ToString().ToLowerInvariant();
        var path = TelemetryStore.DefaultPath(_host.UserDirs);
        UsageReportJson? report = null;
        string? problem = null;
        if (!File.Exists(path))
        {
            problem = $"No telemetry store yet ({path}): fleet usage or fleet telemetry ingest makes one.";
        }
        else
        {
            try
            {
                await using var store = await TelemetryStore.OpenAsync(path, ct);
                report = await UsageReport.BuildAsync(store, grouping, null, null, PriceTable.Default, ct);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
            {
                problem = $"{path}: cannot read the telemetry store: {e.Message}";
            }
        }

        await PageAsync(ctx, Pages.Document("Usage", "usage", null, Pages.Usage(report, by, problem), _security.CsrfToken, fragment), ct);
    }

    private async Task PostAsync(HttpContext ctx, string path, IFormCollection form, CancellationToken ct)
    {
        var rootText = form["root"].ToString();
        var root = _reader.KnownRoot(rootText);
        var back = ctx.Request.Headers.Referer.ToString() is { Length: > 0 } r && Uri.TryCreate(r, UriKind.Absolute, out var referer) ? referer.PathAndQuery : "/";
        if (root is null)
        {
            await ResultAsync(ctx, 404, "Not found", $"no fleet at {rootText}", back, ct);
            return;
        }

        try
        {
            string message;
            switch (path)
            {
                case "/gate":
                    message = await AnswerAsync(root, form, ct);
                    break;
                case "/pause":
                    var paused = await new PauseFleet(_host).RunAsync(new PauseFleetRequest(root, root), ct);
                    message = $"pausing: {paused.Effect}";
                    break;
                case "/resume":
                    var resumed = await new ResumeFleet(_host).RunAsync(new ResumeFleetRequest(root, root, _options.FleetCommand), ct);
                    message = resumed.OrchestratorStarted ? $"resumed: orchestrator started (pid {resumed.OrchestratorPid})" : $"resumed: the orchestrator (pid {resumed.OrchestratorPid}) goes on";
                    break;
                case "/kill":
                    var worker = form["worker"].ToString() is { Length: > 0 } w ? w : null;
                    var killed = await new KillFleet(_host).RunAsync(new KillFleetRequest(root, root) { Worker = worker }, ct);
                    message = killed.Actions.Count == 0 ? "nothing was running" : string.Join("; ", killed.Actions.Select(a => $"{a.What}: {a.Result}")) + (worker is null ? "; fleet killed" : $"; {worker} killed");
                    back = "/fleet?root=" + Uri.EscapeDataString(root);
                    break;
                case "/steer":
                    message = await SteerAsync(root, form, ct);
                    break;
                default:
                    await ResultAsync(ctx, 404, "Not found", "no such action", back, ct);
                    return;
            }

            await ResultAsync(ctx, 200, "Done", message, back, ct);
        }
        catch (FleetOperationException e)
        {
            await ResultAsync(ctx, 409, "Refused", e.Message, back, ct);
        }
        catch (InputFileException e)
        {
            await ResultAsync(ctx, 409, "Refused", e.Message, back, ct);
        }
    }

    private async Task<string> AnswerAsync(string root, IFormCollection form, CancellationToken ct)
    {
        var decision = form["decision"].ToString();
        var request = new AnswerGateRequest(root, root, form["gate"].ToString(), decision == "always" ? GateKinds.Allow : decision, _options.By)
        {
            Always = decision == "always",
            Message = form["message"].ToString() is { Length: > 0 } m ? m : null,
            Answers = Answers(form),
        };
        if (request.Decision is not (GateKinds.Allow or GateKinds.Deny or GateKinds.Answer) || request.GateId.Length == 0)
        {
            throw new FleetOperationException($"not an answer: decision '{decision}' (allow, always, deny or answer) for gate '{request.GateId}'");
        }

        return (await new AnswerGate(_host).RunAsync(request, ct)).Message;
    }

    /// <summary>One answer per question: the text typed, else the option picked (a page without script fills no field).</summary>
    private static List<string> Answers(IFormCollection form)
    {
        var typed = form["answer"];
        return [.. typed.Select((a, i) => a is { Length: > 0 } ? a : form[string.Create(CultureInfo.InvariantCulture, $"pick{i}")].ToString())];
    }

    private async Task<string> SteerAsync(string root, IFormCollection form, CancellationToken ct)
    {
        var worker = form["worker"].ToString();
        var steer = new SteerWorker(_host);
        if (form["mode"] == "interrupt")
        {
            var interrupted = await steer.InterruptAsync(root, worker, ct);
            return $"interrupted {interrupted.Worker}'s turn (iteration {interrupted.Iteration}); it waits for a message";
        }

        var said = await steer.SayAsync(root, worker, form["message"].ToString(), form["now"] == "1", ct);
        return $"told {said.Worker} (iteration {said.Iteration}{(said.Action == SteerWorker.SayNow ? ", its turn interrupted" : "")}); steers this iteration: {said.Steers}";
    }

    private static async Task ResultAsync(HttpContext ctx, int status, string title, string message, string back, CancellationToken ct)
    {
        ctx.Response.StatusCode = status;
        if (ctx.Request.Headers["X-Fleet-Fetch"] == "1")
        {
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            await ctx.Response.WriteAsync(Fleet.Telemetry.Privacy.SecretMasker.Mask(message), ct);
            return;
        }

        ctx.Response.ContentType = "text/html; charset=utf-8";
        await ctx.Response.WriteAsync(Pages.Document(title, "result", null, Pages.Message(title, message, back), string.Empty, fragment: false), ct);
    }

    private static async Task PageAsync(HttpContext ctx, string html, CancellationToken ct, int status = 200)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/html; charset=utf-8";
        await ctx.Response.WriteAsync(html, ct);
    }

    private static async Task PlainAsync(HttpResponse response, int status, string text, CancellationToken ct)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(text + "\n", ct);
    }

    private static readonly Dictionary<string, byte[]> Assets = new(StringComparer.Ordinal);

    private static async Task AssetAsync(HttpResponse response, string name, string contentType, CancellationToken ct)
    {
        byte[] bytes;
        lock (Assets)
        {
            if (!Assets.TryGetValue(name, out bytes!))
            {
                using var stream = typeof(DashboardServer).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"the dashboard's {name} is not in the binary");
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                bytes = copy.ToArray();
                Assets[name] = bytes;
            }
        }

        response.ContentType = contentType;
        response.Headers.CacheControl = "no-cache";
        await response.Body.WriteAsync(bytes, ct);
    }

    /// <summary>Server-sent events: one <c>change</c> event per gathered change of a fleet root, a comment as heartbeat.</summary>
    private async Task EventsAsync(HttpContext ctx, CancellationToken requestAborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, _stopping.Token);
        var ct = linked.Token;
        var response = ctx.Response;
        response.ContentType = "text/event-stream";
        response.Headers["X-Accel-Buffering"] = "no";
        using var subscription = _events.Subscribe();
        await response.WriteAsync("retry: 1000\n: live\n\n", ct);
        await response.Body.FlushAsync(ct);
        var reader = subscription.Reader;
        while (!ct.IsCancellationRequested)
        {
            bool more;
            using (var beat = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                beat.CancelAfter(Heartbeat);
                try
                {
                    more = await reader.WaitToReadAsync(beat.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // Quiet for a while: a comment keeps proxies and the browser from giving up on the stream.
                    await response.WriteAsync(": beat\n\n", ct);
                    await response.Body.FlushAsync(ct);
                    continue;
                }
            }

            if (!more)
            {
                return;
            }

            var text = new StringBuilder();
            while (reader.TryRead(out var change))
            {
                text.Append(CultureInfo.InvariantCulture, $"id: {change.Seq}\nevent: change\ndata: ").Append(JsonSerializer.Serialize(change, LiveJsonContext.Default.LiveChange)).Append("\n\n");
            }

            await response.WriteAsync(text.ToString(), ct);
            await response.Body.FlushAsync(ct);
        }
    }
}

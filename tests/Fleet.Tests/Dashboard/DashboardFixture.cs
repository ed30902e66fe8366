using System.Net;
using System.Text.Json;
using Fleet.Dashboard;
using Fleet.Gates;
using Fleet.State;
using Fleet.Tests.Infrastructure;
using Fleet.UseCases;

namespace Fleet.Tests.Dashboard;

/// <summary>
/// A real dashboard (Kestrel on a free port of 127.0.0.1) over a fleet root of the test's own: a journal with a run, a
/// worker waiting on a gate, registered in a FLEET_HOME of its own. Requests go out over real HTTP, cookies by hand.
/// </summary>
internal sealed class DashboardFixture : IAsyncDisposable
{
    public const string GateId = "builder-1-1";

    private DashboardFixture(TempDir dir, string root, DashboardServer server, FleetHost host)
    {
        Dir = dir;
        Root = root;
        Server = server;
        Host = host;
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = server.Url, Timeout = TestTimeouts.Default };
    }

    public TempDir Dir { get; }

    public string Root { get; }

    public FleetLayout Layout => new(Root);

    public DashboardServer Server { get; }

    public FleetHost Host { get; }

    public HttpClient Client { get; }

    public string Cookie => $"{Server.Security.CookieName}={Server.Security.Token}";

    public string Origin => Server.Url.GetLeftPart(UriPartial.Authority);

    public static async Task<DashboardFixture> StartAsync(string gateSummary = "npm test")
    {
        var dir = new TempDir("fleet-dashboard-");
        var root = dir.Combine("fleet");
        Directory.CreateDirectory(root);
        var environment = new Dictionary<string, string> { ["FLEET_HOME"] = dir.Combine("home"), ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin" };
        var host = new FleetHost(name => environment.GetValueOrDefault(name), dir.Path, TimeProvider.System);
        var journal = new Journal(new FleetLayout(root).JournalFile, TimeProvider.System);
        foreach (var entry in (JournalEntry[])[
                     new() { Type = JournalTypes.RunStarted, Run = "r-1", Fleet = "demo", FleetType = "dag", SpawnMode = "background" },
                     new() { Type = JournalTypes.IterationStarted, Iteration = 1 },
                     new() { Type = JournalTypes.WorkerSpawning, Worker = "builder", Iteration = 1 }])
        {
            await journal.AppendAsync(entry, TestContext.Current.CancellationToken);
        }

        var gates = Path.Combine(root, "iterations", "1", "gates");
        Directory.CreateDirectory(gates);
        var request = new GateRequest(GateId, "builder", 1, "permission", "Bash", gateSummary, null, "no allow rule matches Bash(npm test)", DateTimeOffset.UtcNow);
        await File.WriteAllTextAsync(GatePaths.Request(Path.Combine(root, "iterations", "1"), GateId), JsonSerializer.Serialize(request, GatePaths.Options), TestContext.Current.CancellationToken);
        new FleetRegistry(host.UserDirs).Register(root, "demo", TimeProvider.System);
        var server = await DashboardServer.StartAsync(host, new DashboardOptions(new ListenPlan(IPAddress.Loopback, 0, null), RepoPaths.FleetArgv, "tester (dashboard)"), TestContext.Current.CancellationToken).DefaultTimeout();
        return new DashboardFixture(dir, root, server, host);
    }

    public string AnswerFile => GatePaths.Answer(Path.Combine(Root, "iterations", "1"), GateId);

    public string Query(string path) => path.Replace("{root}", Uri.EscapeDataString(Root), StringComparison.Ordinal);

    /// <summary>A request as a page of this dashboard makes it: the session cookie, the Origin, the CSRF token in the form.</summary>
    public HttpRequestMessage Post(string path, IReadOnlyDictionary<string, string> form, bool cookie = true, string? origin = "", string? csrf = "")
    {
        var fields = new Dictionary<string, string>(form) { ["root"] = form.GetValueOrDefault("root") ?? Root };
        if (csrf is not null)
        {
            fields["csrf"] = csrf.Length == 0 ? Server.Security.CsrfToken : csrf;
        }

        var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        if (cookie)
        {
            message.Headers.Add("Cookie", Cookie);
        }

        if (origin is not null)
        {
            message.Headers.Add("Origin", origin.Length == 0 ? Origin : origin);
        }

        return message;
    }

    public HttpRequestMessage Get(string path, bool cookie = true)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, Query(path));
        if (cookie)
        {
            message.Headers.Add("Cookie", Cookie);
        }

        return message;
    }

    public async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpRequestMessage message)
    {
        using (message)
        {
            using var response = await Client.SendAsync(message, TestContext.Current.CancellationToken).DefaultTimeout();
            return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Dir.Dispose();
    }
}

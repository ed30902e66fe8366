using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleet.Rehearsal;

/// <summary>How to run the rehearsal endpoint.</summary>
public sealed record RehearsalOptions
{
    /// <summary>TCP port on <see cref="Listen"/>; 0 picks a free one (see <see cref="RehearsalServer.BaseUrl"/>).</summary>
    public int Port { get; init; }

    /// <summary>
    /// The address to bind: 127.0.0.1 by default; another of this machine's addresses when workers run on other
    /// machines (slurm nodes) and must reach it. 0.0.0.0 binds every address and gives workers this host's name.
    /// </summary>
    public IPAddress Listen { get; init; } = IPAddress.Loopback;

    /// <summary>The environment variable that sets <see cref="Listen"/> for a launch's orchestrator.</summary>
    public const string ListenVariable = "FLEET_REHEARSAL_LISTEN";

    /// <summary>Parses a listen address (an IPv4 or IPv6 literal); null when it is not one.</summary>
    public static IPAddress? ParseListen(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : IPAddress.TryParse(text.Trim(), out var address) ? address : null;

    /// <summary>What to play; by default <see cref="DefaultRehearsalScript"/> without reviewers.</summary>
    public RehearsalScript Script { get; init; } = DefaultRehearsalScript.Create([]);

    /// <summary>Receives one entry per HTTP request. Called from request threads; must not throw or block.</summary>
    public Action<RehearsalLogEntry>? Log { get; init; }

    /// <summary>What earlier endpoints of the same run answered (<see cref="RehearsalRequestLog.ReadAsync"/>), so a restart goes on from there.</summary>
    public IReadOnlyList<RehearsalLogEntry> Earlier { get; init; } = [];
}

/// <summary>One request the endpoint answered.</summary>
/// <param name="At">When it was answered (UTC).</param>
/// <param name="Number">Request counter since start (also in ids: msg_rehearsal_&lt;endpoint prefix&gt;_N, req_rehearsal_&lt;endpoint prefix&gt;_N).</param>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Request path without the query.</param>
/// <param name="Provider">Which model API was called; null for other paths.</param>
/// <param name="Key">The API key as sent, when it was a rehearsal key.</param>
/// <param name="Position">Model responses since the last user prompt, as read from the request.</param>
/// <param name="Status">HTTP status answered.</param>
/// <param name="Outcome">What was played, e.g. <c>step 0: tool Write</c>, <c>step 2: fail 529</c>, <c>script exhausted</c>.</param>
/// <param name="Said">The user text the request brings since the model last spoke (<see cref="RehearsalConversation.Said"/>): the brief, or a person's message the CLI passed on.</param>
public sealed record RehearsalLogEntry(
    DateTimeOffset At,
    long Number,
    string Method,
    string Path,
    RehearsalProvider? Provider,
    string? Key,
    int? Position,
    int Status,
    string Outcome,
    string? Said = null)
{
    /// <summary>Reads back a line of <see cref="ToJsonLine"/>; null when it is not one (a torn last line).</summary>
    public static RehearsalLogEntry? TryParse(string line)
    {
        try
        {
            if (JsonNode.Parse(line) is not JsonObject o)
            {
                return null;
            }

            RehearsalProvider? provider = (string?)o["provider"] switch { "claude" => RehearsalProvider.Claude, "codex" => RehearsalProvider.Codex, "gemini" => RehearsalProvider.Gemini, _ => null };
            return new RehearsalLogEntry(
                DateTimeOffset.Parse((string?)o["at"] ?? string.Empty, CultureInfo.InvariantCulture),
                (long?)o["n"] ?? 0,
                (string?)o["method"] ?? string.Empty,
                (string?)o["path"] ?? string.Empty,
                provider,
                (string?)o["key"],
                (int?)o["position"],
                (int?)o["status"] ?? 0,
                (string?)o["outcome"] ?? string.Empty,
                (string?)o["said"]);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>One JSON line (snake_case), for a JSONL log file.</summary>
    public string ToJsonLine() => new JsonObject
    {
        ["at"] = At.ToString("O", CultureInfo.InvariantCulture),
        ["n"] = Number,
        ["method"] = Method,
        ["path"] = Path,
        ["provider"] = Provider is null ? null : RehearsalPlayer.Name(Provider.Value),
        ["key"] = Key,
        ["position"] = Position,
        ["status"] = Status,
        ["outcome"] = Outcome,
        ["said"] = Said is null ? null : Fleet.Telemetry.Privacy.SecretMasker.Mask(Said),
    }.ToJsonString(Wire.JsonOptions);
}

/// <summary>
/// Fleet's scripted model server on 127.0.0.1: the Anthropic Messages API (<c>POST /v1/messages</c>, plus
/// <c>count_tokens</c> and model lookups), the OpenAI Responses API (<c>POST /v1/responses</c>) and the Gemini API
/// (<c>POST /v1beta/models/M:streamGenerateContent</c>), streaming over SSE. Calls are routed to the script by their API key (<see cref="RehearsalKey"/>): claude sends it as
/// <c>x-api-key</c>, codex as <c>Authorization: Bearer</c>. Dispose to stop.
/// </summary>
public sealed class RehearsalServer : IAsyncDisposable
{
    private const int KeptEntries = 1000;

    private readonly WebApplication _app;
    private readonly RehearsalPlayer _player;
    private readonly Action<RehearsalLogEntry>? _log;
    private readonly ConcurrentQueue<RehearsalLogEntry> _entries = new();
    private readonly ConcurrentDictionary<string, int> _callsByKey = new(StringComparer.Ordinal);
    private readonly RehearsalIds _ids = RehearsalIds.CreateRandom();
    private long _requests;
    private int _disposed;

    private RehearsalServer(WebApplication app, RehearsalOptions options)
    {
        _app = app;
        _player = new RehearsalPlayer(options.Script, options.Earlier);
        _log = options.Log;
        BaseUrl = new Uri("http://127.0.0.1/");
    }

    /// <summary>e.g. <c>http://127.0.0.1:41234</c> (no trailing path): claude's ANTHROPIC_BASE_URL; codex's base_url is this plus <c>/v1</c>.</summary>
    public Uri BaseUrl { get; private set; }

    public int Port => BaseUrl.Port;

    /// <summary>This endpoint's own random part of every id it issues (message, tool call, response, request ids).</summary>
    public string IdPrefix => _ids.Prefix;

    /// <summary>The most recent requests (up to 1000), oldest first.</summary>
    public IReadOnlyList<RehearsalLogEntry> Requests => [.. _entries];

    /// <summary>Model calls (messages/responses) received for a key so far.</summary>
    public int ModelCalls(RehearsalKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _callsByKey.TryGetValue(key.ToString(), out var n) ? n : 0;
    }

    public static async Task<RehearsalServer> StartAsync(RehearsalOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port, 65535);

        // An empty builder: no appsettings, no ASPNETCORE_* environment, no console logging.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "fleet-rehearsal" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(options.Listen, options.Port);
        });
        var app = builder.Build();
        var server = new RehearsalServer(app, options);
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        var bound = app.Urls.FirstOrDefault() ?? throw new InvalidOperationException("the rehearsal endpoint did not report its address");
        var port = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
        server.BaseUrl = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{Advertised(options.Listen)}:{port}"));
        return server;
    }

    /// <summary>The host workers are given: the bound address, or this host's name when every address is bound.</summary>
    internal static string Advertised(IPAddress listen) =>
        listen.Equals(IPAddress.Any) || listen.Equals(IPAddress.IPv6Any) ? Dns.GetHostName()
        : listen.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{listen}]"
        : listen.ToString();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(cts.Token);
        }

        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var n = Interlocked.Increment(ref _requests);
        var ct = ctx.RequestAborted;
        var path = ctx.Request.Path.Value ?? "/";
        var method = ctx.Request.Method;
        RehearsalProvider? provider = null;
        string? keyText = null;
        int? position = null;
        string? said = null;
        var outcome = "ok";
        try
        {
            if (HttpMethods.IsPost(method) && path == "/v1/messages")
            {
                provider = RehearsalProvider.Claude;
            }
            else if (HttpMethods.IsPost(method) && path == "/v1/responses")
            {
                provider = RehearsalProvider.Codex;
            }
            else if (HttpMethods.IsPost(method) && GeminiWire.ModelOf(path, GeminiWire.StreamMethod) is not null)
            {
                provider = RehearsalProvider.Gemini;
            }
            else
            {
                outcome = await HandleOtherAsync(ctx, method, path, ct);
                return;
            }

            keyText = KeyOf(ctx.Request);
            _callsByKey.AddOrUpdate(keyText ?? string.Empty, 1, (_, c) => c + 1);
            if (!RehearsalKey.TryParse(keyText, out var key))
            {
                outcome = "bad key";
                var message = $"rehearsal: the API key must be rehearsal:<fleet>:<worker>:<iteration> (got '{keyText ?? "nothing"}')";
                await WriteErrorAsync(ctx, provider.Value, 401, "authentication_error", message, ct);
                return;
            }

            RehearsalConversation conversation;
            try
            {
                using var body = await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ct);
                conversation = provider switch
                {
                    RehearsalProvider.Claude => RehearsalConversation.FromAnthropic(body.RootElement),
                    RehearsalProvider.Codex => RehearsalConversation.FromOpenAI(body.RootElement),
                    _ => RehearsalConversation.FromGemini(body.RootElement, GeminiWire.ModelOf(path, GeminiWire.StreamMethod)!),
                };
            }
            catch (JsonException e)
            {
                outcome = "bad body";
                await WriteErrorAsync(ctx, provider.Value, 400, "invalid_request_error", $"rehearsal: the request body is not JSON: {e.Message}", ct);
                return;
            }

            position = conversation.Position;
            said = conversation.Said;
            var step = _player.Decide(key, provider.Value, conversation, out outcome);
            switch (provider)
            {
                case RehearsalProvider.Claude:
                    await AnthropicWire.WriteAsync(ctx, step, conversation, n, _ids, ct);
                    break;
                case RehearsalProvider.Codex:
                    await OpenAIWire.WriteAsync(ctx, step, conversation, n, _ids, ct);
                    break;
                default:
                    await GeminiWire.WriteAsync(ctx, step, conversation, n, _ids, ct);
                    break;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            outcome = "client went away";
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
        {
            outcome = $"internal error: {e.GetType().Name}: {e.Message}";
            if (!ctx.Response.HasStarted)
            {
                await Wire.WriteJsonAsync(ctx, 500, new JsonObject { ["error"] = new JsonObject { ["type"] = "api_error", ["message"] = outcome } }, CancellationToken.None);
            }
        }
        finally
        {
            Record(new RehearsalLogEntry(DateTimeOffset.UtcNow, n, method, path, provider, keyText, position, ctx.Response.StatusCode, outcome, said));
        }
    }

    private static async Task<string> HandleOtherAsync(HttpContext ctx, string method, string path, CancellationToken ct)
    {
        if (HttpMethods.IsPost(method) && path == "/v1/messages/count_tokens")
        {
            // A rough count is all claude needs here: about 4 bytes per token.
            var length = ctx.Request.ContentLength ?? 0;
            await Wire.WriteJsonAsync(ctx, 200, new JsonObject { ["input_tokens"] = Math.Max(1, length / 4) }, ct);
            return "count_tokens";
        }

        if (HttpMethods.IsPost(method) && GeminiWire.ModelOf(path, GeminiWire.CountTokensMethod) is not null)
        {
            await Wire.WriteJsonAsync(ctx, 200, new JsonObject { ["totalTokens"] = Math.Max(1, (ctx.Request.ContentLength ?? 0) / 4) }, ct);
            return "countTokens";
        }

        if (HttpMethods.IsPost(method) && GeminiWire.ModelOf(path, GeminiWire.GenerateMethod) is { } utilityModel)
        {
            // Gemini CLI's own side calls (the model router's classifier, summaries) are not the worker's script.
            await GeminiWire.WriteUtilityAsync(ctx, utilityModel, ct);
            return "gemini utility call";
        }

        if (HttpMethods.IsGet(method) && path == "/v1/models")
        {
            var model = ModelEntry("rehearsal-model");
            await Wire.WriteJsonAsync(ctx, 200, new JsonObject { ["object"] = "list", ["data"] = new JsonArray(model), ["has_more"] = false, ["models"] = new JsonArray() }, ct);
            return "models";
        }

        if (HttpMethods.IsGet(method) && path.StartsWith("/v1/models/", StringComparison.Ordinal))
        {
            await Wire.WriteJsonAsync(ctx, 200, ModelEntry(path["/v1/models/".Length..]), ct);
            return "model";
        }

        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
        {
            await Wire.WriteJsonAsync(ctx, 200, new JsonObject(), ct);
            return "empty";
        }

        await Wire.WriteJsonAsync(ctx, 404, new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = "not_found_error", ["message"] = $"rehearsal: no such endpoint {method} {path}" } }, ct);
        return "not found";
    }

    private static JsonObject ModelEntry(string id) => new()
    {
        ["id"] = id, ["object"] = "model", ["type"] = "model", ["display_name"] = id, ["created_at"] = "2025-01-01T00:00:00Z",
    };

    private static Task WriteErrorAsync(HttpContext ctx, RehearsalProvider provider, int status, string type, string message, CancellationToken ct) => provider switch
    {
        RehearsalProvider.Claude => AnthropicWire.WriteErrorAsync(ctx, status, type, message, ct),
        RehearsalProvider.Codex => OpenAIWire.WriteErrorAsync(ctx, status, type, message, ct),
        _ => GeminiWire.WriteErrorAsync(ctx, status, message, ct),
    };

    /// <summary>Anthropic: <c>x-api-key</c>; Gemini: <c>x-goog-api-key</c>; OpenAI: <c>Authorization: Bearer</c>. Any header is accepted on any path.</summary>
    private static string? KeyOf(HttpRequest request)
    {
        foreach (var header in new[] { "x-api-key", "x-goog-api-key" })
        {
            var apiKey = request.Headers[header].ToString();
            if (apiKey.Length > 0)
            {
                return apiKey;
            }
        }

        var auth = request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        return auth.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? auth[Bearer.Length..].Trim() : null;
    }

    private void Record(RehearsalLogEntry entry)
    {
        _entries.Enqueue(entry);
        while (_entries.Count > KeptEntries && _entries.TryDequeue(out _))
        {
        }

        _log?.Invoke(entry);
    }
}

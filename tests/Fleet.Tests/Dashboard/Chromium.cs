using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Dashboard;

/// <summary>
/// The system chromium, headless, driven over the DevTools protocol on a WebSocket: nothing to download, nothing but
/// the browser itself. One page; scripts run in it as a person's clicks would.
/// </summary>
internal sealed class Chromium : IAsyncDisposable
{
    public const string Path = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly TempDir _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _calls = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;
    private int _next;

    private Chromium(Process process, TempDir profile)
    {
        _process = process;
        _profile = profile;
    }

    public static async Task<Chromium> StartAsync()
    {
        if (!File.Exists(Path))
        {
            Assert.Skip($"SKIPPED: {Path} is not installed (scripts/setup.sh installs it)");
        }

        var profile = new TempDir("fleet-chromium-");
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0", $"--user-data-dir={profile.Path}", "--window-size=1280,900", "about:blank"])
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var browser = new Chromium(process, profile);
        _ = process.StandardOutput.ReadToEndAsync();
        string? endpoint = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TestTimeouts.Default);
        while (endpoint is null && await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            const string marker = "DevTools listening on ";
            if (line.StartsWith(marker, StringComparison.Ordinal))
            {
                endpoint = line[marker.Length..].Trim();
            }
        }

        _ = process.StandardError.ReadToEndAsync();
        if (endpoint is null)
        {
            await browser.DisposeAsync();
            throw new InvalidOperationException("chromium did not say where its DevTools listen");
        }

        // The page's own endpoint: http://host:port/json/list names it.
        var port = new Uri(endpoint).Port;
        using var http = new HttpClient { Timeout = TestTimeouts.Default };
        var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list", timeout.Token))!.AsArray();
        var page = targets.First(t => t!["type"]!.GetValue<string>() == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
        await browser._socket.ConnectAsync(new Uri(page), timeout.Token);
        browser._receiving = browser.ReceiveAsync();
        await browser.CallAsync("Page.enable");
        await browser.CallAsync("Runtime.enable");
        return browser;
    }

    public async Task<JsonObject> CallAsync(string method, JsonObject? parameters = null)
    {
        var id = Interlocked.Increment(ref _next);
        var call = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls[id] = call;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? [] };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        var reply = await call.Task.DefaultTimeout();
        if (reply["error"] is { } error)
        {
            throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
        }

        return reply["result"]?.AsObject() ?? [];
    }

    /// <summary>Evaluates a script in the page (awaiting a promise it returns); its value as JSON.</summary>
    public async Task<JsonNode?> EvalAsync(string expression)
    {
        var result = await CallAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["awaitPromise"] = true, ["returnByValue"] = true });
        if (result["exceptionDetails"] is { } exception)
        {
            throw new InvalidOperationException($"{expression}: {exception.ToJsonString()}");
        }

        return result["result"]?["value"]?.DeepClone();
    }

    public async Task NavigateAsync(string url)
    {
        await CallAsync("Page.navigate", new JsonObject { ["url"] = url });
        await WaitForAsync("document.readyState === 'complete' && location.href !== 'about:blank'", TestTimeouts.Default);
    }

    /// <summary>Waits until <paramref name="condition"/> (a script) is true in the page; fails naming it and the page's text.</summary>
    public async Task WaitForAsync(string condition, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await EvalAsync($"!!({condition})") is JsonValue v && v.GetValue<bool>())
                {
                    return;
                }
            }
            catch (InvalidOperationException) when (DateTimeOffset.UtcNow < deadline)
            {
                // The page is between documents (a navigation or a form's result).
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                var text = await EvalAsync("document.body ? document.body.innerText : ''");
                throw new TimeoutException($"the page never showed: {condition}\n--- page ---\n{text}");
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
    }

    public async Task<string> TextAsync(string selector) =>
        (await EvalAsync($"document.querySelector({JsonSerializer.Serialize(selector)})?.innerText ?? ''"))?.GetValue<string>() ?? string.Empty;

    public Task ClickAsync(string selector) => EvalAsync($"document.querySelector({JsonSerializer.Serialize(selector)}).click()");

    public Task TypeAsync(string selector, string text) =>
        EvalAsync($"(() => {{ const e = document.querySelector({JsonSerializer.Serialize(selector)}); e.focus(); e.value = {JsonSerializer.Serialize(text)}; e.blur(); }})()");

    /// <summary>A PNG of the page under <c>artifacts/test-results/dashboard</c>.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var dir = System.IO.Path.Combine(RepoPaths.Root, "artifacts", "test-results", "dashboard");
        Directory.CreateDirectory(dir);
        var file = System.IO.Path.Combine(dir, name + ".png");
        var shot = await CallAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        await File.WriteAllBytesAsync(file, Convert.FromBase64String(shot["data"]!.GetValue<string>()), TestContext.Current.CancellationToken);
        return file;
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var part = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (part.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage)
                {
                    continue;
                }

                var node = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                if (node["id"] is { } id && _calls.TryRemove(id.GetValue<int>(), out var call))
                {
                    call.TrySetResult(node);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
        finally
        {
            foreach (var call in _calls.Values)
            {
                call.TrySetException(new InvalidOperationException("chromium went away"));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _receiving.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }

        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
        _profile.Dispose();
        _stop.Dispose();
    }
}

using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fleet.Processes;

namespace Fleet.Notifications;

/// <summary>One way events reach a person. A delivery that throws is retried with backoff.</summary>
public interface INotifyChannel
{
    /// <summary>The ledger's name of the channel: <c>webhook</c>, <c>command</c>, <c>desktop</c>.</summary>
    string Name { get; }

    /// <summary>How logs name it: never a secret (a webhook shows its scheme and host only).</summary>
    string Display { get; }

    Task DeliverAsync(NotificationEvent notification, CancellationToken cancellationToken);
}

/// <summary>A delivery the channel refused (an HTTP status, a non-zero exit); the message names no secret.</summary>
public sealed class NotifyDeliveryException : Exception
{
    public NotifyDeliveryException()
    {
    }

    public NotifyDeliveryException(string message)
        : base(message)
    {
    }

    public NotifyDeliveryException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>POSTs <see cref="WebhookBody"/> as JSON; any 2xx is delivered.</summary>
public sealed class WebhookChannel(string url, HttpClient client) : INotifyChannel
{
    public string Name => "webhook";

    public string Display => $"webhook {UrlMask.Mask(url)}";

    public async Task DeliverAsync(NotificationEvent notification, CancellationToken cancellationToken)
    {
        var text = NotificationEvents.Text(notification);
        var body = JsonSerializer.Serialize(new WebhookBody(text, Discord(text), notification), NotificationJsonContext.Default.WebhookBody);
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        try
        {
            using var response = await client.PostAsync(new Uri(url), content, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new NotifyDeliveryException(string.Create(CultureInfo.InvariantCulture, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}"));
            }
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NotifyDeliveryException($"no answer in {client.Timeout.TotalSeconds:0}s");
        }
        catch (Exception e) when (e is not NotifyDeliveryException and not OperationCanceledException)
        {
            // The URL is the secret: whatever the exception says, never with its path.
            throw new NotifyDeliveryException(UrlMask.Scrub(e.Message, url));
        }
    }

    // Discord refuses content over 2000 characters.
    private static string Discord(string text) => text.Length <= 2000 ? text : text[..1999] + "…";
}

/// <summary>Runs an argv per event with the event's JSON on stdin; exit 0 is delivered.</summary>
public sealed class CommandChannel(IReadOnlyList<string> argv, TimeSpan timeout) : INotifyChannel
{
    public string Name => "command";

    public string Display => $"command {argv[0]}";

    public async Task DeliverAsync(NotificationEvent notification, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(notification, NotificationJsonContext.Default.NotificationEvent);
        var result = await CommandRunner.For(argv)
            .WithStandardInput(json + "\n")
            .WithEnvironment([new("FLEET_EVENT_TYPE", notification.Type), new("FLEET_EVENT_ID", notification.Id)])
            .WithTimeout(timeout)
            .ExecuteBufferedAsync(cancellationToken);
        if (!result.Succeeded)
        {
            throw new NotifyDeliveryException(result switch
            {
                { Started: false } => $"could not start {argv[0]}: {result.FirstLine}",
                { TimedOut: true } => $"{argv[0]} did not finish in {timeout.TotalSeconds:0}s",
                _ => $"{argv[0]} exited {result.ExitCode}: {result.FirstLine}",
            });
        }
    }
}

/// <summary>notify-send, when it is on PATH (<see cref="Find"/>); otherwise the channel is not made.</summary>
public sealed class DesktopChannel(string notifySend) : INotifyChannel
{
    public string Name => "desktop";

    public string Display => "desktop (notify-send)";

    public async Task DeliverAsync(NotificationEvent notification, CancellationToken cancellationToken)
    {
        var urgency = notification.Type is NotificationTypes.GateOpened or NotificationTypes.RunEscalated ? "critical" : "normal";
        var result = await CommandRunner.For([notifySend, "--app-name=fleet", $"--urgency={urgency}", $"fleet: {notification.Fleet}", NotificationEvents.Text(notification)])
            .WithTimeout(TimeSpan.FromSeconds(10))
            .ExecuteBufferedAsync(cancellationToken);
        if (!result.Succeeded)
        {
            throw new NotifyDeliveryException($"notify-send exited {result.ExitCode}: {result.FirstLine}");
        }
    }

    /// <summary>notify-send's path on <paramref name="path"/> (a PATH value), or null.</summary>
    public static string? Find(string? path) =>
        (path ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => System.IO.Path.Combine(dir, "notify-send"))
            .FirstOrDefault(File.Exists);
}

/// <summary>The channels <see cref="NotifySettings"/> ask for (the bell is the follower's, not the orchestrator's).</summary>
public static class NotifyChannels
{
    /// <param name="path">PATH, where notify-send is looked for.</param>
    /// <param name="client">The HTTP client webhooks post with (its timeout bounds one attempt).</param>
    /// <param name="log">Told when the desktop is asked for but notify-send is missing.</param>
    public static IReadOnlyList<INotifyChannel> From(NotifySettings settings, string? path, HttpClient client, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var channels = new List<INotifyChannel>();
        if (settings.Webhook is { } webhook)
        {
            channels.Add(new WebhookChannel(webhook, client));
        }

        if (settings.Command.Count > 0)
        {
            channels.Add(new CommandChannel(settings.Command, TimeSpan.FromSeconds(30)));
        }

        if (settings.Desktop)
        {
            if (DesktopChannel.Find(path) is { } notifySend)
            {
                channels.Add(new DesktopChannel(notifySend));
            }
            else
            {
                log?.Invoke("notify: desktop notifications are on but notify-send is not installed: skipped (fleet doctor)");
            }
        }

        return channels;
    }
}

/// <summary>Webhook URLs carry their secret in the path (Slack, Discord): logs show the scheme and host only.</summary>
public static class UrlMask
{
    /// <summary><c>https://hooks.slack.com/services/T0/B0/XYZ</c> → <c>https://hooks.slack.com/…</c>.</summary>
    public static string Mask(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host.Length > 0
            ? $"{uri.Scheme}://{uri.Host}{(uri.IsDefaultPort ? "" : ":" + uri.Port.ToString(CultureInfo.InvariantCulture))}/…"
            : "(a webhook URL)";

    /// <summary>The message with the URL (and its path and query) replaced by its mask.</summary>
    public static string Scrub(string message, string url)
    {
        ArgumentNullException.ThrowIfNull(message);
        var scrubbed = message.Replace(url, Mask(url), StringComparison.Ordinal);
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.PathAndQuery.Length > 1)
        {
            scrubbed = scrubbed.Replace(uri.PathAndQuery, "/…", StringComparison.Ordinal);
        }

        return scrubbed;
    }
}

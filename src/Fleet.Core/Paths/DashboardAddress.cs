using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Paths;

/// <summary>
/// Where a running <c>fleet dashboard</c> answers: <c>$XDG_STATE_HOME/fleet/dashboard.json</c> (mode 600), written while it
/// runs and removed when it stops, so other parts of fleet (notifications) can link to it. It holds no token: a link
/// opens only in a browser that already holds the dashboard's session.
/// </summary>
/// <param name="Url">e.g. <c>http://127.0.0.1:7420/</c>.</param>
/// <param name="Pid">The dashboard's process.</param>
public sealed record DashboardAddress(string Url, int Pid)
{
    public const string FileName = "dashboard.json";

    public static string PathIn(UserDirs dirs)
    {
        ArgumentNullException.ThrowIfNull(dirs);
        return Path.Combine(dirs.StateDir, FileName);
    }

    /// <summary>The page of one fleet, e.g. <c>http://127.0.0.1:7420/fleet?root=%2Fhome%2Fme%2Ffleet</c>.</summary>
    public string FleetPage(string root) => Url.TrimEnd('/') + "/fleet?root=" + Uri.EscapeDataString(root);

    /// <summary>The open gates of every fleet.</summary>
    [JsonIgnore]
    public string InboxPage => Url.TrimEnd('/') + "/inbox";

    /// <summary>The address a dashboard left, or null when none runs (no file, or one whose process is gone, or damage).</summary>
    public static DashboardAddress? Read(UserDirs dirs)
    {
        try
        {
            var path = PathIn(dirs);
            if (!File.Exists(path))
            {
                return null;
            }

            var address = JsonSerializer.Deserialize(File.ReadAllText(path), DashboardAddressJsonContext.Default.DashboardAddress);
            return address is { Url.Length: > 0 } && ProcessRuns(address.Pid) ? address : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the file whole (mode 600).</summary>
    public async Task WriteAsync(UserDirs dirs, CancellationToken cancellationToken)
    {
        var path = PathIn(dirs);
        PrivateFiles.CreateDirectoryFor(path);
        await PrivateFiles.ReplaceAsync(path, JsonSerializer.SerializeToUtf8Bytes(this, DashboardAddressJsonContext.Default.DashboardAddress), cancellationToken);
    }

    /// <summary>Removes the file if it is still this process's (a newer dashboard may have replaced it).</summary>
    public static void Remove(UserDirs dirs, int pid)
    {
        var path = PathIn(dirs);
        try
        {
            var current = File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), DashboardAddressJsonContext.Default.DashboardAddress) : null;
            if (current?.Pid == pid)
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
        }
    }

    private static bool ProcessRuns(int pid) => pid > 0 && Directory.Exists($"/proc/{pid}");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DashboardAddress))]
internal sealed partial class DashboardAddressJsonContext : JsonSerializerContext;

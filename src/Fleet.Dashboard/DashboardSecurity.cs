using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Fleet.Dashboard;

/// <summary>What a request must show to be served (pure; the server applies it to every request).</summary>
public enum Admission
{
    Serve,

    /// <summary>The Host header names no address this dashboard answers on: a DNS-rebinding page, or a mistake.</summary>
    WrongHost,

    /// <summary>No session token (neither the URL's nor the cookie).</summary>
    NoToken,

    /// <summary>A state-changing request from another origin (or one that does not say where it comes from).</summary>
    CrossOrigin,

    /// <summary>A state-changing request without this session's CSRF token.</summary>
    NoCsrfToken,
}

/// <summary>
/// The dashboard's session: a random token printed in the URL at start (then kept in an HttpOnly, SameSite=Strict
/// cookie), a CSRF token derived from it, and the host names it answers to.
/// </summary>
public sealed class DashboardSecurity
{
    private readonly byte[] _token;
    private readonly byte[] _csrf;
    private readonly HashSet<string> _hosts;

    public DashboardSecurity(string token, IEnumerable<string> allowedHosts, int port)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentNullException.ThrowIfNull(allowedHosts);
        Token = token;
        _token = Encoding.UTF8.GetBytes(token);
        CsrfToken = Base64Url(HMACSHA256.HashData(_token, "fleet-dashboard-csrf"u8));
        _csrf = Encoding.UTF8.GetBytes(CsrfToken);
        _hosts = new HashSet<string>(allowedHosts.Select(h => HostWithPort(h, port)), StringComparer.OrdinalIgnoreCase);
        CookieName = string.Create(CultureInfo.InvariantCulture, $"fleet_dashboard_{port}");
    }

    public string Token { get; }

    public string CsrfToken { get; }

    /// <summary>Named by port: cookies do not keep ports apart, and two dashboards must not overwrite each other's.</summary>
    public string CookieName { get; }

    public IReadOnlyCollection<string> AllowedHosts => _hosts;

    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// The host names a dashboard bound to <paramref name="address"/> answers to: the loopback names always, and the
    /// address itself (for a wildcard, every address of this machine's interfaces).
    /// </summary>
    public static IReadOnlyList<string> HostsFor(IPAddress address, IEnumerable<IPAddress> interfaceAddresses)
    {
        ArgumentNullException.ThrowIfNull(address);
        var hosts = new List<string> { "127.0.0.1", "localhost", "[::1]" };
        var bound = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? interfaceAddresses : [address];
        hosts.AddRange(bound.Select(HostName));
        return [.. hosts.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    public static string HostName(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
    }

    /// <summary>Decides one request from what it carries.</summary>
    /// <param name="host">The Host header.</param>
    /// <param name="unsafeMethod">POST and the like: it may change something.</param>
    /// <param name="origin">The Origin header.</param>
    /// <param name="fetchSite">The Sec-Fetch-Site header.</param>
    /// <param name="csrf">The CSRF token the request carries (form field or header).</param>
    public Admission Admit(string? host, string? queryToken, string? cookieToken, bool unsafeMethod, string? origin, string? fetchSite, string? csrf)
    {
        if (host is null || !_hosts.Contains(host))
        {
            return Admission.WrongHost;
        }

        if (!Matches(queryToken, _token) && !Matches(cookieToken, _token))
        {
            return Admission.NoToken;
        }

        if (!unsafeMethod)
        {
            return Admission.Serve;
        }

        if (!SameOrigin(host, origin, fetchSite))
        {
            return Admission.CrossOrigin;
        }

        return Matches(csrf, _csrf) ? Admission.Serve : Admission.NoCsrfToken;
    }

    /// <summary>
    /// The Origin must be this very host over http; a browser that sends no Origin must say the request is
    /// same-origin (Sec-Fetch-Site). A request with neither is refused: every browser this serves sends one of them.
    /// </summary>
    public static bool SameOrigin(string host, string? origin, string? fetchSite) =>
        origin is not null
            ? string.Equals(origin, "http://" + host, StringComparison.OrdinalIgnoreCase)
            : string.Equals(fetchSite, "same-origin", StringComparison.Ordinal);

    private static bool Matches(string? given, byte[] expected) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);

    private static string HostWithPort(string host, int port) => string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

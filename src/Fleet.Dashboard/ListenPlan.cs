using System.Globalization;
using System.Net;

namespace Fleet.Dashboard;

/// <summary>Where the dashboard listens, and what the person must be told about it.</summary>
/// <param name="Warning">Set when the address is reachable from other machines.</param>
public sealed record ListenPlan(IPAddress Address, int Port, string? Warning)
{
    public const int DefaultPort = 7420;

    /// <summary>
    /// 127.0.0.1 unless <paramref name="listen"/> says otherwise; an address other machines can reach is taken only
    /// because the person passed it, and comes with a warning. Throws <see cref="ArgumentException"/> on bad input.
    /// </summary>
    public static ListenPlan Decide(string? listen, int? port)
    {
        var p = port ?? DefaultPort;
        if (p is < 0 or > 65535)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--port {p}: not a port (0 to 65535; 0 picks a free one)"));
        }

        if (listen is null)
        {
            return new ListenPlan(IPAddress.Loopback, p, null);
        }

        var text = listen.Trim();
        if (text.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new ListenPlan(IPAddress.Loopback, p, null);
        }

        if (!IPAddress.TryParse(text.Trim('[', ']'), out var address))
        {
            throw new ArgumentException($"--listen {listen}: not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1, 192.168.1.5)");
        }

        if (IPAddress.IsLoopback(address))
        {
            return new ListenPlan(address, p, null);
        }

        var where = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? "every network interface of this machine" : DashboardSecurity.HostName(address);
        return new ListenPlan(address, p,
            $"warning: the dashboard listens on {where}: other machines can reach it, over plain http. Anyone who sees its URL (the token is in it) can approve gates, steer and kill fleets.");
    }
}

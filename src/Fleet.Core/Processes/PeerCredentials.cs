using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Fleet.Processes;

/// <summary>
/// Who is at the other end of a local socket. The abstract namespace has no file permissions, so the kernel's peer
/// credentials (SO_PEERCRED) are what keeps other users off fleet's sockets.
/// </summary>
public static class PeerCredentials
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>True when the peer runs as this process's effective user.</summary>
    public static bool IsSameUser(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);

        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> credentials = stackalloc byte[12];
        try
        {
            return socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) >= 8
                && MemoryMarshal.Read<uint>(credentials[4..]) == NativeMethods.EffectiveUserId();
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

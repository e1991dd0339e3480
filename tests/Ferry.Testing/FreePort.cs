using System.Net;
using System.Net.Sockets;

namespace Ferry.Testing;

/// <summary>
/// Free loopback ports for fixtures. The port is released before the server binds it, so the kernel may
/// hand the same number to the next caller (test classes start clusters in parallel in one process);
/// a port is therefore never handed out twice by this process.
/// </summary>
public static class FreePort
{
    private static readonly HashSet<int> Given = [];

    public static int Next()
    {
        while (true)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            lock (Given)
            {
                if (Given.Add(port))
                {
                    return port;
                }
            }
        }
    }
}

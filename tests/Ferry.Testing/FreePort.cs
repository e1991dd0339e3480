using System.Net;
using System.Net.Sockets;

namespace Ferry.Testing;

/// <summary>Picks a free TCP port on 127.0.0.1 by binding to port 0.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}

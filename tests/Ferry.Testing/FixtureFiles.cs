using System.Net.Sockets;

namespace Ferry.Testing;

/// <summary>What the database fixtures share: writing their TLS files, probing their port, removing their directory.</summary>
internal static class FixtureFiles
{
    /// <summary>Writes ca.pem, server.pem and server.key (mode 0600) into <paramref name="dir"/>.</summary>
    public static async Task WriteTlsAsync(string dir, ServerTls tls)
    {
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "ca.pem"), tls.ClientCaPem);
        await File.WriteAllTextAsync(Path.Combine(dir, "server.pem"), tls.ServerCertificatePem);
        await File.WriteAllTextAsync(Path.Combine(dir, "server.key"), tls.ServerKeyPem);
        File.SetUnixFileMode(Path.Combine(dir, "server.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public static async Task<bool> TcpReachableAsync(int port)
    {
        try
        {
            using var c = new TcpClient();
            await c.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

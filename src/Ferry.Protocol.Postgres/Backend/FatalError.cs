using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>Sends a FATAL ErrorResponse on a stream, for proxies that end a connection with a reason.</summary>
public static class FatalError
{
    public static async Task WriteAsync(Stream stream, string sqlState, string message, string? hint = null)
    {
        var w = new ArrayBufferWriter<byte>(256);
        ErrorResponse.Write(w, "FATAL", sqlState, message, hint: hint);
        try
        {
            await stream.WriteAsync(w.WrittenMemory);
            await stream.FlushAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The peer is gone; there is nobody left to tell.
        }
    }
}

using System.Diagnostics.CodeAnalysis;

namespace Ferry.Protocol.MySql;

/// <summary>Throw helpers kept out of line so the parsing paths stay small.</summary>
internal static class MySqlThrow
{
    [DoesNotReturn]
    public static void Malformed(string what) =>
        throw new MySqlProtocolException($"Malformed communication packet: {what}.");

    [DoesNotReturn]
    public static T Malformed<T>(string what) =>
        throw new MySqlProtocolException($"Malformed communication packet: {what}.");

    [DoesNotReturn]
    public static void TooLarge(long length, int limit) =>
        throw new MySqlProtocolException(
            $"Got a packet bigger than the limit of {limit} bytes ({length} bytes).", MySqlProtocolException.PacketTooLarge);

    [DoesNotReturn]
    public static void OutOfOrder(byte expected, byte actual) =>
        throw new MySqlProtocolException($"Got packets out of order (expected sequence {expected}, got {actual}).");
}

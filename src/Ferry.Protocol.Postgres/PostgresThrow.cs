using System.Diagnostics.CodeAnalysis;

namespace Ferry.Protocol.Postgres;

/// <summary>Throw helpers kept out of line so the parsing paths stay small and inlinable.</summary>
internal static class PostgresThrow
{
    [DoesNotReturn]
    public static void Malformed(string what) =>
        throw new PostgresProtocolException($"invalid message format: {what}");

    [DoesNotReturn]
    public static T Malformed<T>(string what) =>
        throw new PostgresProtocolException($"invalid message format: {what}");

    [DoesNotReturn]
    public static void InvalidLength(byte code, int length) =>
        throw new PostgresProtocolException(
            $"invalid message length {length} for message type 0x{code:x2}");

    [DoesNotReturn]
    public static void TooLong(int length, int limit) =>
        throw new PostgresProtocolException(
            $"message length {length} exceeds the limit of {limit} bytes");

    [DoesNotReturn]
    public static void InvalidStartupLength(int length) =>
        throw new PostgresProtocolException($"invalid length of startup packet: {length}");

    [DoesNotReturn]
    public static void UnsupportedProtocol(uint version) =>
        throw new PostgresProtocolException(
            $"unsupported frontend protocol {version >> 16}.{version & 0xFFFF}: server supports 3.0 to 3.2",
            "0A000");
}

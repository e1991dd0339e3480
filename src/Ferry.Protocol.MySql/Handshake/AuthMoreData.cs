using System.Buffers;

namespace Ferry.Protocol.MySql.Handshake;

/// <summary>
/// AuthMoreData: extra plugin data (caching_sha2_password: 0x03 fast auth ok, 0x04 full auth needed, or a public key).
/// <code>
///  +------+-------------------+
///  | 0x01 | plugin data       |
///  +------+-------------------+
/// </code>
/// </summary>
public static class AuthMoreData
{
    public const byte Header = 0x01;

    /// <summary>caching_sha2_password's plugin data: the cached fast authentication succeeded, an OK follows.</summary>
    public const byte FastAuthSuccess = 0x03;

    /// <summary>caching_sha2_password's plugin data: full authentication is needed (the password, over TLS).</summary>
    public const byte PerformFullAuthentication = 0x04;

    public static ReadOnlySequence<byte> Read(ReadOnlySequence<byte> payload)
    {
        var r = new MySqlPayloadReader(payload, "AuthMoreData");
        if (r.ReadByte() != Header)
        {
            MySqlThrow.Malformed("AuthMoreData header");
        }

        return r.ReadRest();
    }

    public static void Write(IBufferWriter<byte> writer, byte sequenceId, ReadOnlySpan<byte> data)
    {
        var w = MySqlWireWriter.Begin(writer, sequenceId, 1 + data.Length, out int total);
        w.WriteByte(Header);
        w.WriteBytes(data);
        w.Finish(writer, total);
    }
}

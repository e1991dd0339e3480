using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// Authentication request family.
/// <code>
///  +-----+-------------+-------------+-------------------------------------------------+
///  | 'R' | len (int32) | code (int32)| data: MD5 salt (4) | SASL mechanisms\0..\0 |    |
///  |     |             | 0 = Ok      |       SASL continue/final data | GSS data      |
///  +-----+-------------+-------------+-------------------------------------------------+
/// </code>
/// </summary>
public readonly struct Authentication
{
    public Authentication(AuthenticationCode code, ReadOnlySequence<byte> data)
    {
        Code = code;
        Data = data;
    }

    public AuthenticationCode Code { get; }

    /// <summary>Bytes after the code (salt, mechanism list, SASL data).</summary>
    public ReadOnlySequence<byte> Data { get; }

    /// <summary>AuthenticationOk: R, length 8, code 0.</summary>
    public static ReadOnlySpan<byte> OkFrame => [(byte)'R', 0, 0, 0, 8, 0, 0, 0, 0];

    public static Authentication Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)BackendMessageCode.Authentication, "Authentication");
        var reader = new PayloadReader(frame.Payload, "Authentication");
        var code = (AuthenticationCode)reader.ReadInt32();
        ReadOnlySequence<byte> data = reader.ReadRest();
        bool ok = code switch
        {
            AuthenticationCode.Ok or AuthenticationCode.CleartextPassword or AuthenticationCode.KerberosV5
                or AuthenticationCode.Gss or AuthenticationCode.Sspi => data.IsEmpty,
            AuthenticationCode.Md5Password => data.Length == 4,
            AuthenticationCode.Sasl or AuthenticationCode.SaslContinue or AuthenticationCode.SaslFinal
                or AuthenticationCode.GssContinue => true,
            _ => false,
        };
        if (!ok)
        {
            PostgresThrow.Malformed($"authentication request {(int)code} with {data.Length} data bytes");
        }

        return new Authentication(code, data);
    }

    public static void WriteOk(IBufferWriter<byte> writer)
    {
        OkFrame.CopyTo(writer.GetSpan(OkFrame.Length));
        writer.Advance(OkFrame.Length);
    }

    public static void Write(IBufferWriter<byte> writer, AuthenticationCode code, ReadOnlySpan<byte> data)
    {
        // body = code (4) + data
        var w = WireWriter.Begin(writer, (byte)BackendMessageCode.Authentication, 4 + data.Length, out int total);
        w.WriteInt32((int)code);
        w.WriteBytes(data);
        MessageGuard.Finish(writer, w, total);
    }
}

using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// ParameterStatus: a run-time parameter the client should know (server_version, client_encoding...).
/// <code>
///  +-----+-------------+--------+---------+
///  | 'S' | len (int32) | name\0 | value\0 |
///  +-----+-------------+--------+---------+
/// </code>
/// </summary>
public readonly struct ParameterStatus
{
    public ParameterStatus(ReadOnlySequence<byte> name, ReadOnlySequence<byte> value)
    {
        Name = name;
        Value = value;
    }

    public ReadOnlySequence<byte> Name { get; }

    public ReadOnlySequence<byte> Value { get; }

    public static ParameterStatus Read(in PostgresFrame frame)
    {
        MessageGuard.ExpectCode(frame, (byte)BackendMessageCode.ParameterStatus, "ParameterStatus");
        var reader = new PayloadReader(frame.Payload, "ParameterStatus");
        ReadOnlySequence<byte> name = reader.ReadCString();
        ReadOnlySequence<byte> value = reader.ReadCString();
        reader.ExpectEnd();
        return new ParameterStatus(name, value);
    }

    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        // body = name\0 + value\0
        int body = WireWriter.CStringLength(name) + WireWriter.CStringLength(value);
        var w = WireWriter.Begin(writer, (byte)BackendMessageCode.ParameterStatus, body, out int total);
        w.WriteCString(name);
        w.WriteCString(value);
        MessageGuard.Finish(writer, w, total);
    }

    public static void Write(IBufferWriter<byte> writer, string name, string value)
    {
        int body = WireWriter.CStringLength(name) + WireWriter.CStringLength(value);
        var w = WireWriter.Begin(writer, (byte)BackendMessageCode.ParameterStatus, body, out int total);
        w.WriteCString(name);
        w.WriteCString(value);
        MessageGuard.Finish(writer, w, total);
    }
}

using System.Buffers;
using System.IO.Pipelines;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Agent.Postgres;

/// <summary>Small helpers for messages the agent originates on a PostgreSQL connection.</summary>
internal static class PgWire
{
    public static Task WriteFatalAsync(Stream stream, string sqlState, string message, string? hint = null) =>
        FatalError.WriteAsync(stream, sqlState, message, hint);

    /// <summary>
    /// Reads the client's first packet and parses it in place, once: a StartupMessage's parameters and minor
    /// version, or <see cref="StartupRequest.Error"/> when it is another kind of packet or its body is malformed.
    /// Returns null at the end of the stream; a framing error (length, code) throws <see cref="PostgresProtocolException"/>.
    /// </summary>
    public static async Task<StartupRequest?> ReadStartupAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            var request = TryParseStartup(buffer, out var consumed);
            if (request is not null)
            {
                reader.AdvanceTo(consumed);
                return request;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    private static StartupRequest? TryParseStartup(in ReadOnlySequence<byte> buffer, out SequencePosition consumed)
    {
        var sr = new SequenceReader<byte>(buffer);
        if (StartupPacketReader.TryRead(ref sr, out var packet) != OperationStatus.Done)
        {
            consumed = buffer.Start;
            return null;
        }
        consumed = sr.Position;
        if (packet.Kind != StartupPacketKind.StartupMessage)
        {
            return new StartupRequest([], 0, $"expected a StartupMessage, got {packet.Kind}");
        }
        try
        {
            var message = StartupMessage.Read(packet, requireUser: false);
            var list = new List<KeyValuePair<string, string>>();
            foreach (var p in message.Parameters)
            {
                list.Add(new(Text(p.Name), Text(p.Value)));
            }
            return new StartupRequest(list, message.MinorVersion, null);
        }
        catch (PostgresProtocolException e)
        {
            return new StartupRequest([], 0, e.Message);
        }
    }

    /// <summary>Reads one complete regular message (type byte + length) and returns a copy of it.</summary>
    public static async Task<byte[]?> ReadMessageAsync(PipeReader reader, int maxLength, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            var sr = new SequenceReader<byte>(buffer);
            if (PostgresFrameReader.TryRead(ref sr, maxLength, out var frame) == OperationStatus.Done)
            {
                var copy = frame.Raw.ToArray();
                reader.AdvanceTo(sr.Position);
                return copy;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>The frame view of a message <see cref="ReadMessageAsync"/> returned.</summary>
    public static PostgresFrame Frame(byte[] message)
    {
        var sr = new SequenceReader<byte>(new ReadOnlySequence<byte>(message));
        PostgresFrameReader.TryRead(ref sr, message.Length, out var frame);
        return frame;
    }

    public static string Text(in ReadOnlySequence<byte> value) => value.IsSingleSegment ? System.Text.Encoding.UTF8.GetString(value.FirstSpan) : System.Text.Encoding.UTF8.GetString(value.ToArray());
}

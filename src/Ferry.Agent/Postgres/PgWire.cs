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

    /// <summary>Reads one startup-family packet (StartupMessage, SSLRequest, CancelRequest…) and returns a copy of it.</summary>
    public static async Task<byte[]?> ReadStartupPacketAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            var sr = new SequenceReader<byte>(buffer);
            var status = StartupPacketReader.TryRead(ref sr, out var packet);
            if (status == OperationStatus.Done)
            {
                var copy = packet.Raw.ToArray();
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

    public static string Text(in ReadOnlySequence<byte> value) => value.IsSingleSegment ? System.Text.Encoding.UTF8.GetString(value.FirstSpan) : System.Text.Encoding.UTF8.GetString(value.ToArray());
}

using System.Buffers;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Protocol.Fuzz;

/// <summary>The agent's MySQL response side: the response tracker over a server packet stream, and session state in OK packets.</summary>
internal static partial class FuzzTargets
{
    /// <summary>
    /// Input: one byte choosing DEPRECATE_EOF and the announced response shapes (2 bits each, cycled), then server
    /// packets. Each packet is stepped as the relay does (whole when asked and short enough, else its first byte);
    /// OK packets' session state is read. Only <c>MySqlProtocolException</c> may escape.
    /// </summary>
    private static void MySqlResponses(ReadOnlySequence<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        // The first segment may be empty (the harness splits inputs into segments): read the byte across segments.
        Span<byte> modeByte = stackalloc byte[1];
        input.Slice(0, 1).CopyTo(modeByte);
        byte mode = modeByte[0];
        var body = input.Slice(1);
        var caps = MySqlCapabilities.Protocol41 | MySqlCapabilities.SessionTrack | ((mode & 1) != 0 ? MySqlCapabilities.DeprecateEof : 0);
        var tracker = new ResponseTracker(caps);
        ExpectedResponse[] shapes = [ExpectedResponse.Generic, ExpectedResponse.Prepare, ExpectedResponse.FieldList, ExpectedResponse.Rows,
            ExpectedResponse.SinglePacket, ExpectedResponse.Stream];
        for (var i = 0; i < 16; i++)
        {
            tracker.Expect(shapes[((mode >> 1) + i * 3) % shapes.Length]);
        }

        long pos = 0;
        var steps = 0;
        while (MySqlPacketReader.TryPeekHeader(body, pos, out MySqlPacketHeader header) && steps++ < 10_000)
        {
            var available = body.Length - pos - MySqlPacketReader.HeaderLength;
            if (header.PayloadLength > 0 && available < 1)
            {
                return;
            }

            var first = header.PayloadLength > 0 ? body.Slice(pos + MySqlPacketReader.HeaderLength, 1).FirstSpan[0] : (byte)0;
            var whole = tracker.NeedsWhole(header.PayloadLength, first);
            if (whole && available < header.PayloadLength)
            {
                return;
            }

            var seen = whole ? header.PayloadLength : Math.Min(header.PayloadLength, available);
            var step = tracker.Step(header.PayloadLength, body.Slice(pos + MySqlPacketReader.HeaderLength, seen));
            if (step.Kind == ResponseStepKind.Ok && !step.Ok.SessionStateChanges.IsEmpty)
            {
                var state = SessionState.Read(step.Ok.SessionStateChanges);
                _ = (state.Schema?.Length ?? 0) + state.Variables.Count;
            }

            pos += header.PacketLength;
        }
    }
}

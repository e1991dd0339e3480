namespace Ferry.Protocol.Postgres;

internal static class MessageGuard
{
    public static void ExpectCode(in PostgresFrame frame, byte code, string message)
    {
        if (frame.Code != code)
        {
            throw new ArgumentException($"frame 0x{frame.Code:x2} is not a {message}", nameof(frame));
        }
    }

    public static void Finish(System.Buffers.IBufferWriter<byte> writer, in WireWriter w, int total)
    {
        w.AssertFilled(total);
        writer.Advance(total);
    }
}

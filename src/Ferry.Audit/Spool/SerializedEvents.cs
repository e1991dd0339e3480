using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Ferry.Audit;

/// <summary>
/// Events serialised and checksummed on the thread that appends them, before the spool's lock is taken: under it the
/// spool only frames each one with its delivery fields (<c>source</c> and <c>seq</c>, the last two properties of an
/// <see cref="AuditEvent"/>, so the record is byte for byte what serialising the numbered event gives) and finishes
/// its CRC. One instance per thread, reused.
/// </summary>
internal sealed class SerializedEvents
{
    /// <summary>Most bytes <see cref="Frame"/> adds to an event's JSON: <c>,"source":"&lt;32 hex&gt;","seq":&lt;up to 20 digits&gt;}</c>.</summary>
    private const int DeliveryBytes = 80;

    /// <summary>A thread's buffer above this is not kept after use (a rare batch of huge events).</summary>
    private const int KeptCapacity = 1024 * 1024;

    [ThreadStatic]
    private static SerializedEvents? t_current;

    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private readonly Utf8JsonWriter _json;
    private readonly List<(int Start, int Length, uint Crc)> _records = [];

    private SerializedEvents() => _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });

    /// <summary>The bytes every record of a spool opening gets before its number: <c>,"source":"&lt;source&gt;","seq":</c>.</summary>
    public static byte[] DeliveryPrefix(string source) => Encoding.UTF8.GetBytes($",\"source\":\"{source}\",\"seq\":");

    /// <summary>Serialises <paramref name="events"/> (without their delivery fields) into this thread's instance.</summary>
    public static SerializedEvents Of(IReadOnlyList<AuditEvent> events)
    {
        SerializedEvents s = t_current ?? new SerializedEvents();
        t_current = s._buffer.Capacity > KeptCapacity ? null : s;
        s._buffer.ResetWrittenCount();
        s._records.Clear();
        foreach (AuditEvent e in events)
        {
            e.Source = null;
            e.Seq = null;
            int payload = RecordFraming.WriteEvent(s._buffer, s._json, e, 0, DeliveryBytes, out int start);
            // Everything but the closing brace, which the delivery fields come before.
            int body = start + RecordFraming.HeaderSize;
            int length = payload - 1;
            s._records.Add((body, length, Crc32C.Update(Crc32C.Initial, s._buffer.WrittenSpan.Slice(body, length))));
        }

        return s;
    }

    /// <summary>Appends event <paramref name="index"/> to <paramref name="output"/> as a whole record numbered <paramref name="seq"/>.</summary>
    public void Frame(int index, ArrayBufferWriter<byte> output, byte[] deliveryPrefix, long seq)
    {
        (int start, int length, uint crc) = _records[index];
        Span<byte> record = output.GetSpan(RecordFraming.HeaderSize + length + DeliveryBytes);
        Span<byte> payload = record[RecordFraming.HeaderSize..];
        _buffer.WrittenSpan.Slice(start, length).CopyTo(payload);
        Span<byte> delivery = payload[length..];
        deliveryPrefix.CopyTo(delivery);
        Utf8Formatter.TryFormat(seq, delivery[deliveryPrefix.Length..], out int digits);
        int added = deliveryPrefix.Length + digits;
        delivery[added++] = (byte)'}';
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(length + added));
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Crc32C.Finish(Crc32C.Update(crc, delivery[..added])));
        output.Advance(RecordFraming.HeaderSize + length + added);
    }
}

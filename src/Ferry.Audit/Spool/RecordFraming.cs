using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace Ferry.Audit;

/// <summary>
/// Record framing shared by the spool and the store's active segment.
/// <code>
/// +----------------+----------------+----------------------+
/// | length (u32le) | crc32c (u32le) | payload (length B)   |
/// +----------------+----------------+----------------------+
/// </code>
/// The CRC covers the payload only. A record whose length runs past the end of the file, or whose
/// CRC does not match, marks the end of the valid data (a torn tail after a crash).
/// </summary>
internal static class RecordFraming
{
    public const int HeaderSize = 8;

    /// <summary>Largest payload accepted: an event bigger than this is a bug or an attack.</summary>
    public const int MaxPayload = 16 * 1024 * 1024;

    /// <summary>Serialises <paramref name="e"/> as one framed record into <paramref name="buffer"/>; returns the payload span length.</summary>
    public static int WriteEvent(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, AuditEvent e, int prefixBytes, out int recordStart)
    {
        recordStart = buffer.WrittenCount;
        buffer.GetSpan(HeaderSize + prefixBytes);
        buffer.Advance(HeaderSize + prefixBytes);
        json.Reset(buffer);
        JsonSerializer.Serialize(json, e, AuditJsonContext.Default.AuditEvent);
        json.Flush();
        return buffer.WrittenCount - recordStart - HeaderSize;
    }

    /// <summary>Fills in the header of a record whose payload is already in place.</summary>
    public static void WriteHeader(Span<byte> record, int payloadLength)
    {
        Span<byte> payload = record.Slice(HeaderSize, payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Crc32C.Compute(payload));
    }

    /// <summary>Frames an existing payload.</summary>
    public static void Append(ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> payload)
    {
        Span<byte> span = buffer.GetSpan(HeaderSize + payload.Length);
        payload.CopyTo(span[HeaderSize..]);
        WriteHeader(span, payload.Length);
        buffer.Advance(HeaderSize + payload.Length);
    }

    /// <summary>
    /// Reads the record at the start of <paramref name="data"/>. Returns false when the data ends
    /// inside the record or the CRC does not match (torn or corrupt).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> payload, out RecordStatus status)
    {
        payload = default;
        if (data.Length < HeaderSize)
        {
            status = data.IsEmpty ? RecordStatus.End : RecordStatus.Torn;
            return false;
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (length > MaxPayload)
        {
            status = RecordStatus.Corrupt;
            return false;
        }

        if (data.Length - HeaderSize < length)
        {
            status = RecordStatus.Torn;
            return false;
        }

        ReadOnlySpan<byte> body = data.Slice(HeaderSize, (int)length);
        if (Crc32C.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(data[4..]))
        {
            status = RecordStatus.Corrupt;
            return false;
        }

        payload = body;
        status = RecordStatus.Ok;
        return true;
    }
}

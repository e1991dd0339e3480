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
    /// <remarks>
    /// The record never exceeds <see cref="MaxPayload"/>: relays cut statements and parameters before they reach
    /// an event, and should an event still serialise larger (a bug), its bulky fields are replaced by a note of
    /// the size they had, so the event is written (and readable) instead of dropped.
    /// </remarks>
    public static int WriteEvent(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, AuditEvent e, int prefixBytes, out int recordStart) =>
        WriteEvent(buffer, json, e, prefixBytes, 0, out recordStart);

    /// <summary>As <see cref="WriteEvent(ArrayBufferWriter{byte}, Utf8JsonWriter, AuditEvent, int, out int)"/>, keeping <paramref name="reserve"/> payload bytes under the limit for what is appended later.</summary>
    public static int WriteEvent(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, AuditEvent e, int prefixBytes, int reserve, out int recordStart)
    {
        recordStart = buffer.WrittenCount;
        var payload = Serialize(buffer, json, e, prefixBytes, recordStart);
        if (payload > MaxPayload - reserve)
        {
            buffer.Rewind(recordStart);
            payload = Serialize(buffer, json, Shrunk(e, payload), prefixBytes, recordStart);
        }
        return payload;
    }

    /// <summary>
    /// Appends one framed record whose payload is <paramref name="prefixBytes"/> (filled in later) and then
    /// <paramref name="json"/> as it is; returns the payload length. The header is written by the caller
    /// (<see cref="WriteHeader"/>), as after <see cref="WriteEvent(ArrayBufferWriter{byte}, Utf8JsonWriter, AuditEvent, int, out int)"/>.
    /// </summary>
    public static int WriteBytes(ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> json, int prefixBytes, out int recordStart)
    {
        recordStart = buffer.WrittenCount;
        int payload = prefixBytes + json.Length;
        Span<byte> record = buffer.GetSpan(HeaderSize + payload);
        json.CopyTo(record[(HeaderSize + prefixBytes)..]);
        buffer.Advance(HeaderSize + payload);
        return payload;
    }

    private static int Serialize(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, AuditEvent e, int prefixBytes, int recordStart)
    {
        buffer.GetSpan(HeaderSize + prefixBytes);
        buffer.Advance(HeaderSize + prefixBytes);
        json.Reset(buffer);
        if (e.Fragments is { } fragments && e.TruncatedParameters is null && fragments.Matches(e))
        {
            fragments.Write(json, buffer, e); // the same bytes, with the session's fields copied in
        }
        else
        {
            JsonSerializer.Serialize(json, e, AuditJsonContext.Default.AuditEvent);
        }

        json.Flush();
        return buffer.WrittenCount - recordStart - HeaderSize;
    }

    /// <summary>A copy of <paramref name="e"/> without its free-size fields (text, parameters, details), saying so.</summary>
    internal static AuditEvent Shrunk(AuditEvent e, long size) => new()
    {
        Id = e.Id,
        Time = e.Time,
        Code = e.Code,
        Type = e.Type,
        Cluster = e.Cluster,
        User = e.User,
        Roles = e.Roles,
        ClientAddr = e.ClientAddr,
        SessionId = e.SessionId,
        ServerId = e.ServerId,
        AgentId = e.AgentId,
        Success = e.Success,
        Error = $"audit event of {size} bytes exceeded the record limit of {MaxPayload} bytes: its query, parameters and details were left out" + (e.Error is { Length: <= 4096 } error ? $"; error: {error}" : ""),
        DbService = e.DbService,
        DbProtocol = e.DbProtocol,
        DbUser = e.DbUser,
        DbName = e.DbName,
        DbLabels = e.DbLabels,
        QueryLength = e.QueryLength ?? (e.Query is { } q ? System.Text.Encoding.UTF8.GetByteCount(q) : null),
        QuerySha256 = e.QuerySha256 ?? (e.Query is { } text ? StatementCapture.Sha256Hex(System.Text.Encoding.UTF8.GetBytes(text)) : null),
        Truncated = true,
        StatementName = e.StatementName is { Length: <= 1024 } name ? name : null,
        StatementId = e.StatementId,
        Rows = e.Rows,
        BytesIn = e.BytesIn,
        BytesOut = e.BytesOut,
        DurationUs = e.DurationUs,
        EndReason = e.EndReason,
    };

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

using System.Buffers;
using System.Text.Json;

namespace Ferry.Audit;

/// <summary>
/// Reads audit events from JSON without the serializer's metadata machinery: the auth service's hot path, an agent's
/// upload of up to a thousand events (<c>POST /v1/audit/events</c>). It reads exactly what
/// <see cref="AuditJsonContext"/> reads, to the same events, and refuses what it refuses, with a
/// <see cref="JsonException"/>: snake_case names matched exactly (after unescaping), unknown properties skipped, a
/// repeated property's last value kept, <c>null</c> for any reference or nullable field, numbers only as JSON numbers
/// that fit, times in the serializer's ISO 8601 form. Fuzz target <c>audit-upload</c> reads every input both ways and
/// fails on any difference.
/// </summary>
public static class AuditEventReader
{
    /// <summary>
    /// An upload body: one JSON array of events (or <c>null</c>, read as none), nothing after it but whitespace.
    /// A <c>null</c> element is refused (the serializer reads it as a null event, which no caller can store).
    /// </summary>
    /// <exception cref="JsonException">The body is not that.</exception>
    public static List<AuditEvent>? ReadUpload(in ReadOnlySequence<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        try
        {
            List<AuditEvent>? events = ReadArray(ref reader);
            if (reader.Read())
            {
                throw new JsonException("unexpected data after the JSON value");
            }

            return events;
        }
        catch (InvalidOperationException e)
        {
            // The reader's own complaint about a value it was asked for (a string that is not UTF-8): the serializer
            // reports these as JsonException too.
            throw new JsonException(e.Message, e);
        }
    }

    /// <summary>Reads the next value: an array of events, or null.</summary>
    private static List<AuditEvent>? ReadArray(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartArray);
        var events = new List<AuditEvent>();
        while (true)
        {
            Next(ref reader);
            switch (reader.TokenType)
            {
                case JsonTokenType.EndArray:
                    return events;
                case JsonTokenType.Null:
                    throw new JsonException("an audit event is null");
                case JsonTokenType.StartObject:
                    events.Add(ReadObject(ref reader));
                    break;
                default:
                    throw Unexpected(reader.TokenType, "an audit event");
            }
        }
    }

    /// <summary>Reads one event; the reader is on its <c>{</c>, and is left on its <c>}</c>.</summary>
    private static AuditEvent ReadObject(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var e = new AuditEvent();
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return e;
            }

            ReadOnlySpan<byte> name = PropertyName(ref reader);
            Next(ref reader);
            ReadProperty(ref reader, e, name);
        }
    }

    // Longest property name of an event (truncated_parameters, access_request_ids, ...) with room to spare; a longer
    // name is not one of them and is skipped.
    private const int MaxNameBytes = 32;

    private static ReadOnlySpan<byte> PropertyName(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return reader.ValueSpan;
        }

        if (!reader.ValueIsEscaped)
        {
            // Split across the body's buffers (rare): whole, unless too long to be a field's name.
            return reader.ValueSequence.Length > MaxNameBytes ? Unknown : reader.ValueSequence.ToArray();
        }

        // Escaped (rare): compared unescaped, as the serializer does; unescaping also refuses what it refuses.
        byte[] name = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray();
        return name.AsSpan(0, UnescapeName(name));
    }

    /// <summary>
    /// Unescapes a property name in place as the serializer does to match it: other bytes are kept as they are (not
    /// checked for UTF-8), <c>\uXXXX</c> becomes UTF-8, and a surrogate escape that is not half of a pair is refused.
    /// The reader has already checked the escapes' syntax.
    /// </summary>
    private static int UnescapeName(Span<byte> name)
    {
        int w = 0;
        for (int i = 0; i < name.Length; i++)
        {
            byte b = name[i];
            if (b != (byte)'\\')
            {
                name[w++] = b;
                continue;
            }

            byte c = name[++i];
            if (c != (byte)'u')
            {
                name[w++] = c switch
                {
                    (byte)'b' => (byte)'\b',
                    (byte)'f' => (byte)'\f',
                    (byte)'n' => (byte)'\n',
                    (byte)'r' => (byte)'\r',
                    (byte)'t' => (byte)'\t',
                    _ => c, // \" \\ \/
                };
                continue;
            }

            int scalar = Hex4(name.Slice(i + 1, 4));
            i += 4;
            if (scalar is >= 0xD800 and <= 0xDFFF)
            {
                if (scalar >= 0xDC00 || i + 6 >= name.Length || name[i + 1] != (byte)'\\' || name[i + 2] != (byte)'u')
                {
                    throw new JsonException("a property name's escapes are not valid UTF-16");
                }

                int low = Hex4(name.Slice(i + 3, 4));
                if (low is < 0xDC00 or > 0xDFFF)
                {
                    throw new JsonException("a property name's escapes are not valid UTF-16");
                }

                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00);
                i += 6;
            }

            w += new System.Text.Rune(scalar).EncodeToUtf8(name[w..]);
        }

        return w;
    }

    private static int Hex4(ReadOnlySpan<byte> hex) =>
        int.Parse(hex, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);

    private static ReadOnlySpan<byte> Unknown => "\0"u8;

    private static void ReadProperty(ref Utf8JsonReader reader, AuditEvent e, scoped ReadOnlySpan<byte> name)
    {
        switch (name.Length)
        {
            case 2:
                if (name.SequenceEqual("id"u8)) { e.Id = String(ref reader)!; return; }
                break;
            case 3:
                if (name.SequenceEqual("seq"u8)) { e.Seq = Int64(ref reader); return; }
                break;
            case 4:
                if (name.SequenceEqual("time"u8)) { e.Time = Time(ref reader); return; }
                if (name.SequenceEqual("code"u8)) { e.Code = String(ref reader)!; return; }
                if (name.SequenceEqual("type"u8)) { e.Type = String(ref reader)!; return; }
                if (name.SequenceEqual("user"u8)) { e.User = String(ref reader); return; }
                if (name.SequenceEqual("rows"u8)) { e.Rows = Int64(ref reader); return; }
                break;
            case 5:
                if (name.SequenceEqual("roles"u8)) { e.Roles = Strings(ref reader); return; }
                if (name.SequenceEqual("error"u8)) { e.Error = String(ref reader); return; }
                if (name.SequenceEqual("query"u8)) { e.Query = String(ref reader); return; }
                break;
            case 6:
                if (name.SequenceEqual("source"u8)) { e.Source = String(ref reader); return; }
                break;
            case 7:
                if (name.SequenceEqual("cluster"u8)) { e.Cluster = String(ref reader); return; }
                if (name.SequenceEqual("success"u8)) { e.Success = Bool(ref reader); return; }
                if (name.SequenceEqual("db_user"u8)) { e.DbUser = String(ref reader); return; }
                if (name.SequenceEqual("db_name"u8)) { e.DbName = String(ref reader); return; }
                if (name.SequenceEqual("details"u8)) { e.Details = Map(ref reader); return; }
                break;
            case 8:
                if (name.SequenceEqual("agent_id"u8)) { e.AgentId = String(ref reader); return; }
                if (name.SequenceEqual("bytes_in"u8)) { e.BytesIn = Int64(ref reader); return; }
                break;
            case 9:
                if (name.SequenceEqual("server_id"u8)) { e.ServerId = String(ref reader); return; }
                if (name.SequenceEqual("db_labels"u8)) { e.DbLabels = Map(ref reader); return; }
                if (name.SequenceEqual("truncated"u8)) { e.Truncated = NullableBool(ref reader); return; }
                if (name.SequenceEqual("bytes_out"u8)) { e.BytesOut = Int64(ref reader); return; }
                break;
            case 10:
                if (name.SequenceEqual("session_id"u8)) { e.SessionId = String(ref reader); return; }
                if (name.SequenceEqual("db_service"u8)) { e.DbService = String(ref reader); return; }
                if (name.SequenceEqual("parameters"u8)) { e.Parameters = Strings(ref reader); return; }
                if (name.SequenceEqual("end_reason"u8)) { e.EndReason = String(ref reader); return; }
                break;
            case 11:
                if (name.SequenceEqual("client_addr"u8)) { e.ClientAddr = String(ref reader); return; }
                if (name.SequenceEqual("db_protocol"u8)) { e.DbProtocol = String(ref reader); return; }
                if (name.SequenceEqual("duration_us"u8)) { e.DurationUs = Int64(ref reader); return; }
                break;
            case 12:
                if (name.SequenceEqual("query_length"u8)) { e.QueryLength = Int64(ref reader); return; }
                if (name.SequenceEqual("statement_id"u8)) { e.StatementId = Int64(ref reader); return; }
                if (name.SequenceEqual("query_sha256"u8)) { e.QuerySha256 = String(ref reader); return; }
                break;
            case 14:
                if (name.SequenceEqual("statement_name"u8)) { e.StatementName = String(ref reader); return; }
                break;
            case 18:
                if (name.SequenceEqual("access_request_ids"u8)) { e.AccessRequestIds = Strings(ref reader); return; }
                break;
            case 20:
                if (name.SequenceEqual("truncated_parameters"u8))
                {
                    // Rare (parameters cut to their limit) and a record with a constructor: the serializer's own reader.
                    e.TruncatedParameters = JsonSerializer.Deserialize(ref reader, AuditJsonContext.Default.IReadOnlyListAuditTruncatedValue);
                    return;
                }

                break;
        }

        reader.Skip(); // not a field of an event: ignored, as the serializer ignores it
    }

    private static string? String(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw Unexpected(reader.TokenType, "a string"),
    };

    private static long? Int64(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number when reader.TryGetInt64(out long value) => value,
        JsonTokenType.Null => null,
        _ => throw Unexpected(reader.TokenType, "a 64-bit integer"),
    };

    private static bool Bool(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Unexpected(reader.TokenType, "true or false"),
    };

    private static bool? NullableBool(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ? null : Bool(ref reader);

    private static DateTimeOffset Time(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out DateTimeOffset value)
            ? value
            : throw Unexpected(reader.TokenType, "an ISO 8601 time");

    // Elements may be null, as the serializer reads them (roles are never null in practice, parameters often are).
    private static List<string>? Strings(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartArray);
        var list = new List<string>();
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return list;
            }

            list.Add(String(ref reader)!);
        }
    }

    private static Dictionary<string, string>? Map(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartObject);
        var map = new Dictionary<string, string>();
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return map;
            }

            string key = reader.GetString()!;
            Next(ref reader);
            map[key] = String(ref reader)!; // a repeated key keeps its last value, as the serializer does
        }
    }

    private static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("the JSON ends early");
        }
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token)
    {
        if (reader.TokenType != token)
        {
            throw Unexpected(reader.TokenType, token.ToString());
        }
    }

    private static JsonException Unexpected(JsonTokenType found, string expected) =>
        new($"expected {expected}, found {found}");
}

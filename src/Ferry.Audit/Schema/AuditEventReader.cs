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
            List<AuditEvent>? events = ReadArray(ref reader, default, null, new ValueMemo());
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

    /// <summary>
    /// <see cref="ReadUpload(in ReadOnlySequence{byte})"/> over a body in one piece, also naming each event's bytes when
    /// they are its canonical JSON: exactly what <see cref="AuditJsonContext"/> writes for the event read (properties in
    /// declaration order, nulls left out, compact, strings escaped as the writer escapes them, times in its form). One
    /// entry per event in <paramref name="canonical"/>: the event's slice of <paramref name="body"/>, or empty when the
    /// bytes are anything else (valid, read the same, but written otherwise). A store can keep such bytes as they are
    /// instead of writing the event again; anything in doubt is reported as not canonical.
    /// </summary>
    /// <exception cref="JsonException">The body is not an upload.</exception>
    public static List<AuditEvent>? ReadUpload(ReadOnlyMemory<byte> body, List<ReadOnlyMemory<byte>> canonical)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        var reader = new Utf8JsonReader(body.Span);
        try
        {
            List<AuditEvent>? events = ReadArray(ref reader, body, canonical, new ValueMemo());
            if (reader.Read())
            {
                throw new JsonException("unexpected data after the JSON value");
            }

            return events;
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    /// <summary>Reads the next value: an array of events, or null.</summary>
    private static List<AuditEvent>? ReadArray(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, List<ReadOnlyMemory<byte>>? canonical, ValueMemo memo)
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
                    int start = (int)reader.TokenStartIndex;
                    bool exact = canonical is not null;
                    events.Add(ReadObject(ref reader, ref exact, body.Span, memo));
                    if (canonical is not null)
                    {
                        canonical.Add(exact ? body[start..(int)reader.BytesConsumed] : default);
                    }

                    break;
                default:
                    throw Unexpected(reader.TokenType, "an audit event");
            }
        }
    }

    /// <summary>
    /// Reads one event; the reader is on its <c>{</c>, and is left on its <c>}</c>. While <paramref name="exact"/> is
    /// true on entry, it stays true only if the bytes are the event's canonical JSON (see
    /// <see cref="ReadUpload(ReadOnlyMemory{byte}, List{ReadOnlyMemory{byte}})"/>).
    /// </summary>
    private static AuditEvent ReadObject(ref Utf8JsonReader reader, ref bool exact, ReadOnlySpan<byte> body, ValueMemo memo)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var e = new AuditEvent();
        int last = -1;
        long seen = 0;
        while (true)
        {
            Next(ref reader, ref exact);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                // The writer always writes the properties that cannot be null.
                exact &= (seen & AlwaysWritten) == AlwaysWritten;
                return e;
            }

            exact &= !reader.ValueIsEscaped;
            ReadOnlySpan<byte> name = PropertyName(ref reader);
            Next(ref reader, ref exact);
            int field = ReadProperty(ref reader, e, name, ref exact, body, memo);
            // In declaration order, each once (so no unknown, repeated or reordered property).
            exact &= field > last;
            last = field;
            if (field >= 0)
            {
                seen |= 1L << field;
            }
        }
    }

    // Declaration order of AuditEvent's properties: the order the writer writes them in.
    private const int FId = 0, FTime = 1, FCode = 2, FType = 3, FCluster = 4, FUser = 5, FRoles = 6, FClientAddr = 7,
        FSessionId = 8, FServerId = 9, FAgentId = 10, FSuccess = 11, FError = 12, FDbService = 13, FDbProtocol = 14,
        FDbUser = 15, FDbName = 16, FDbLabels = 17, FAccessRequestIds = 18, FQuery = 19, FQueryLength = 20,
        FQuerySha256 = 21, FTruncated = 22, FStatementName = 23, FStatementId = 24, FParameters = 25,
        FTruncatedParameters = 26, FRows = 27, FBytesIn = 28, FBytesOut = 29, FDurationUs = 30, FEndReason = 31,
        FDetails = 32, FSource = 33, FSeq = 34;

    private const long AlwaysWritten = (1L << FId) | (1L << FTime) | (1L << FCode) | (1L << FType) | (1L << FSuccess);

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

    /// <summary>Reads the value of property <paramref name="name"/> into <paramref name="e"/>; returns its declaration index, or -1 when it is none of the event's (skipped).</summary>
    private static int ReadProperty(ref Utf8JsonReader reader, AuditEvent e, scoped ReadOnlySpan<byte> name, ref bool exact, ReadOnlySpan<byte> body, ValueMemo memo)
    {
        // A null is never written: the writer leaves the property out.
        exact &= reader.TokenType != JsonTokenType.Null;
        switch (name.Length)
        {
            case 2:
                if (name.SequenceEqual("id"u8)) { e.Id = String(ref reader, ref exact)!; return FId; }
                break;
            case 3:
                if (name.SequenceEqual("seq"u8)) { e.Seq = Int64(ref reader, ref exact); return FSeq; }
                break;
            case 4:
                if (name.SequenceEqual("time"u8)) { e.Time = Time(ref reader, ref exact); return FTime; }
                if (name.SequenceEqual("code"u8)) { e.Code = Text(ref reader, ref exact, memo, FCode)!; return FCode; }
                if (name.SequenceEqual("type"u8)) { e.Type = Text(ref reader, ref exact, memo, FType)!; return FType; }
                if (name.SequenceEqual("user"u8)) { e.User = Text(ref reader, ref exact, memo, FUser); return FUser; }
                if (name.SequenceEqual("rows"u8)) { e.Rows = Int64(ref reader, ref exact); return FRows; }
                break;
            case 5:
                if (name.SequenceEqual("roles"u8)) { e.Roles = Shared<List<string>>(ref reader, ref exact, body, memo, FRoles, JsonTokenType.StartArray, Strings); return FRoles; }
                if (name.SequenceEqual("error"u8)) { e.Error = Text(ref reader, ref exact, memo, FError); return FError; }
                if (name.SequenceEqual("query"u8)) { e.Query = Text(ref reader, ref exact, memo, FQuery); return FQuery; }
                break;
            case 6:
                if (name.SequenceEqual("source"u8)) { e.Source = Text(ref reader, ref exact, memo, FSource); return FSource; }
                break;
            case 7:
                if (name.SequenceEqual("cluster"u8)) { e.Cluster = Text(ref reader, ref exact, memo, FCluster); return FCluster; }
                if (name.SequenceEqual("success"u8)) { e.Success = Bool(ref reader); return FSuccess; }
                if (name.SequenceEqual("db_user"u8)) { e.DbUser = Text(ref reader, ref exact, memo, FDbUser); return FDbUser; }
                if (name.SequenceEqual("db_name"u8)) { e.DbName = Text(ref reader, ref exact, memo, FDbName); return FDbName; }
                if (name.SequenceEqual("details"u8)) { e.Details = Shared<Dictionary<string, string>>(ref reader, ref exact, body, memo, FDetails, JsonTokenType.StartObject, Map); return FDetails; }
                break;
            case 8:
                if (name.SequenceEqual("agent_id"u8)) { e.AgentId = Text(ref reader, ref exact, memo, FAgentId); return FAgentId; }
                if (name.SequenceEqual("bytes_in"u8)) { e.BytesIn = Int64(ref reader, ref exact); return FBytesIn; }
                break;
            case 9:
                if (name.SequenceEqual("server_id"u8)) { e.ServerId = Text(ref reader, ref exact, memo, FServerId); return FServerId; }
                if (name.SequenceEqual("db_labels"u8)) { e.DbLabels = Shared<Dictionary<string, string>>(ref reader, ref exact, body, memo, FDbLabels, JsonTokenType.StartObject, Map); return FDbLabels; }
                if (name.SequenceEqual("truncated"u8)) { e.Truncated = NullableBool(ref reader); return FTruncated; }
                if (name.SequenceEqual("bytes_out"u8)) { e.BytesOut = Int64(ref reader, ref exact); return FBytesOut; }
                break;
            case 10:
                if (name.SequenceEqual("session_id"u8)) { e.SessionId = Text(ref reader, ref exact, memo, FSessionId); return FSessionId; }
                if (name.SequenceEqual("db_service"u8)) { e.DbService = Text(ref reader, ref exact, memo, FDbService); return FDbService; }
                if (name.SequenceEqual("parameters"u8)) { e.Parameters = Shared<List<string>>(ref reader, ref exact, body, memo, FParameters, JsonTokenType.StartArray, Strings); return FParameters; }
                if (name.SequenceEqual("end_reason"u8)) { e.EndReason = Text(ref reader, ref exact, memo, FEndReason); return FEndReason; }
                break;
            case 11:
                if (name.SequenceEqual("client_addr"u8)) { e.ClientAddr = Text(ref reader, ref exact, memo, FClientAddr); return FClientAddr; }
                if (name.SequenceEqual("db_protocol"u8)) { e.DbProtocol = Text(ref reader, ref exact, memo, FDbProtocol); return FDbProtocol; }
                if (name.SequenceEqual("duration_us"u8)) { e.DurationUs = Int64(ref reader, ref exact); return FDurationUs; }
                break;
            case 12:
                if (name.SequenceEqual("query_length"u8)) { e.QueryLength = Int64(ref reader, ref exact); return FQueryLength; }
                if (name.SequenceEqual("statement_id"u8)) { e.StatementId = Int64(ref reader, ref exact); return FStatementId; }
                if (name.SequenceEqual("query_sha256"u8)) { e.QuerySha256 = Text(ref reader, ref exact, memo, FQuerySha256); return FQuerySha256; }
                break;
            case 14:
                if (name.SequenceEqual("statement_name"u8)) { e.StatementName = Text(ref reader, ref exact, memo, FStatementName); return FStatementName; }
                break;
            case 18:
                if (name.SequenceEqual("access_request_ids"u8)) { e.AccessRequestIds = Shared<List<string>>(ref reader, ref exact, body, memo, FAccessRequestIds, JsonTokenType.StartArray, Strings); return FAccessRequestIds; }
                break;
            case 20:
                if (name.SequenceEqual("truncated_parameters"u8))
                {
                    // Rare (parameters cut to their limit) and a record with a constructor: the serializer's own reader.
                    // Not checked for its form: taken as not canonical.
                    e.TruncatedParameters = JsonSerializer.Deserialize(ref reader, AuditJsonContext.Default.IReadOnlyListAuditTruncatedValue);
                    exact = false;
                    return FTruncatedParameters;
                }

                break;
        }

        reader.Skip(); // not a field of an event: ignored, as the serializer ignores it
        return -1;
    }

    /// <summary>
    /// <see cref="String"/> of field <paramref name="field"/>, taken from <paramref name="memo"/> when the token's bytes are
    /// those of a value that field had in an earlier event of the upload: the same bytes read to the same string, and
    /// are as canonical as they were then.
    /// </summary>
    private static string? Text(ref Utf8JsonReader reader, ref bool exact, ValueMemo memo, int field)
    {
        if (reader.TokenType != JsonTokenType.String || reader.HasValueSequence)
        {
            return String(ref reader, ref exact);
        }

        ReadOnlySpan<byte> raw = reader.ValueSpan;
        if (memo.TryGet(field, raw, prefix: false, out object? known, out bool wasExact))
        {
            exact &= wasExact;
            return (string)known!;
        }

        bool asIs = IsWrittenAsIs(ref reader);
        string value = reader.GetString()!;
        memo.Put(field, raw, value, asIs);
        exact &= asIs;
        return value;
    }

    /// <summary>Reads a list or map value (<see cref="Strings(ref Utf8JsonReader, ref bool)"/>, <see cref="Map"/>).</summary>
    private delegate T? ReadValue<T>(ref Utf8JsonReader reader, ref bool exact)
        where T : class;

    /// <summary>
    /// A list or map of field <paramref name="field"/> (<paramref name="read"/> reads it when its token is
    /// <paramref name="opening"/>): the value of an earlier event of the upload when its bytes in <paramref name="body"/>
    /// are the same (shared: events are not changed after they are read, only their origin fields are replaced).
    /// Without the body (a sequence), read.
    /// </summary>
    private static T? Shared<T>(ref Utf8JsonReader reader, ref bool exact, ReadOnlySpan<byte> body, ValueMemo memo, int field,
        JsonTokenType opening, ReadValue<T> read)
        where T : class
    {
        if (body.IsEmpty || reader.TokenType != opening)
        {
            return read(ref reader, ref exact);
        }

        int start = (int)reader.TokenStartIndex;
        if (memo.TryGet(field, body[start..], prefix: true, out object? known, out bool wasExact))
        {
            // A complete JSON value ends where its bytes end: the reader lands on its closing bracket, as after reading it.
            reader.Skip();
            exact &= wasExact;
            return (T)known!;
        }

        bool inner = true;
        T? value = read(ref reader, ref inner);
        memo.Put(field, body[start..(int)reader.BytesConsumed], value, inner);
        exact &= inner;
        return value;
    }

    private static string? String(ref Utf8JsonReader reader, ref bool exact)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                exact = exact && IsWrittenAsIs(ref reader);
                return reader.GetString();
            case JsonTokenType.Null:
                return null;
            default:
                throw Unexpected(reader.TokenType, "a string");
        }
    }

    /// <summary>
    /// Whether the string token's bytes are what the writer makes of its value: not escaped, and nothing in it that the
    /// writer escapes (its default encoder's rule: control characters, non-ASCII, and the HTML-sensitive ASCII).
    /// </summary>
    private static bool IsWrittenAsIs(ref Utf8JsonReader reader) =>
        !reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.IndexOfAnyExcept(WrittenAsIs) < 0;

    // The bytes the writer leaves as they are in a string: the ASCII its encoder does not escape, asked of the encoder
    // itself (every non-ASCII byte is escaped).
    private static readonly SearchValues<byte> WrittenAsIs = SearchValues.Create(
        Enumerable.Range(0, 128).Select(b => (byte)b)
            .Where(b => System.Text.Encodings.Web.JavaScriptEncoder.Default.FindFirstCharacterToEncodeUtf8([b]) < 0).ToArray());

    private static long? Int64(ref Utf8JsonReader reader, ref bool exact)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetInt64(out long value):
                // The only other spelling of an integer the reader takes as one is -0 (written 0).
                exact &= !reader.HasValueSequence && !reader.ValueSpan.StartsWith("-0"u8);
                return value;
            case JsonTokenType.Null:
                return null;
            default:
                throw Unexpected(reader.TokenType, "a 64-bit integer");
        }
    }

    private static bool Bool(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Unexpected(reader.TokenType, "true or false"),
    };

    private static bool? NullableBool(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ? null : Bool(ref reader);

    private static DateTimeOffset Time(ref Utf8JsonReader reader, ref bool exact)
    {
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out DateTimeOffset value))
        {
            throw Unexpected(reader.TokenType, "an ISO 8601 time");
        }

        if (exact)
        {
            Span<byte> written = stackalloc byte[MaxTimeBytes];
            exact = !reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.SequenceEqual(written[..WriteTime(value, written)]);
        }

        return value;
    }

    private const int MaxTimeBytes = 40;

    /// <summary>
    /// A time as the writer writes it: ISO 8601 round-trip form (<c>O</c>) with the fraction's trailing zeros cut, and
    /// the fraction left out when it is zero.
    /// </summary>
    internal static int WriteTime(DateTimeOffset value, Span<byte> destination)
    {
        if (!System.Buffers.Text.Utf8Formatter.TryFormat(value, destination, out int length, new StandardFormat('O')))
        {
            return 0;
        }

        // yyyy-MM-ddTHH:mm:ss.fffffff then the offset: the fraction is bytes 20..26.
        const int Dot = 19, Fraction = 7;
        int keep = Fraction;
        while (keep > 0 && destination[Dot + keep] == (byte)'0')
        {
            keep--;
        }

        int cut = keep == 0 ? Fraction + 1 : Fraction - keep;
        if (cut > 0)
        {
            destination[(Dot + 1 + Fraction)..length].CopyTo(destination[(Dot + 1 + Fraction - cut)..]);
            length -= cut;
        }

        return length;
    }

    // Elements may be null, as the serializer reads them (roles are never null in practice, parameters often are).
    private static List<string>? Strings(ref Utf8JsonReader reader, ref bool exact)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartArray);
        var list = new List<string>();
        while (true)
        {
            Next(ref reader, ref exact);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return list;
            }

            list.Add(String(ref reader, ref exact)!);
        }
    }

    private static Dictionary<string, string>? Map(ref Utf8JsonReader reader, ref bool exact)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartObject);
        var map = new Dictionary<string, string>();
        while (true)
        {
            Next(ref reader, ref exact);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return map;
            }

            exact = exact && IsWrittenAsIs(ref reader);
            string key = reader.GetString()!;
            Next(ref reader, ref exact);
            string value = String(ref reader, ref exact)!;
            // A repeated key keeps its last value, as the serializer does (written once, so not canonical).
            exact = map.TryAdd(key, value) && exact;
            map[key] = value;
        }
    }

    private static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("the JSON ends early");
        }
    }

    /// <summary>
    /// <see cref="Next(ref Utf8JsonReader)"/>, and while <paramref name="exact"/> holds, checks that nothing but the one
    /// separator the writer puts there (<c>:</c> right after a name, <c>,</c> between values, none after an opening or
    /// before a closing bracket) stands between the last token and this one: compact, as the writer writes.
    /// </summary>
    private static void Next(ref Utf8JsonReader reader, ref bool exact)
    {
        JsonTokenType previous = reader.TokenType;
        long end = reader.BytesConsumed;
        Next(ref reader);
        if (exact)
        {
            // A name's token takes in its colon (and any space before it): there, the token's length says.
            int separator = previous is JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.PropertyName ? 0
                : reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray ? 0 : 1;
            exact = reader.TokenStartIndex - end == separator &&
                (reader.TokenType != JsonTokenType.PropertyName || reader.BytesConsumed - reader.TokenStartIndex == reader.ValueSpan.Length + 3);
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

    /// <summary>
    /// Values of string, list and map fields seen in one upload, by their JSON bytes: an agent's upload repeats its
    /// sessions' fields (user, roles, addresses, database, labels) and its statements in event after event, and a value
    /// found here is not decoded or allocated again. Per field, the last <see cref="Ways"/> distinct values of up to
    /// <see cref="MaxRawBytes"/> bytes (older ones are replaced in turn), so its memory is bounded whatever the upload.
    /// </summary>
    private sealed class ValueMemo
    {
        private const int Fields = FSeq + 1;
        private const int Ways = 8;
        private const int MaxRawBytes = 256;

        private readonly byte[]?[] _raw = new byte[]?[Fields * Ways];
        private readonly int[] _length = new int[Fields * Ways];
        private readonly object?[] _value = new object?[Fields * Ways];
        private readonly bool[] _exact = new bool[Fields * Ways];
        private readonly byte[] _next = new byte[Fields];

        /// <summary>
        /// The value of <paramref name="field"/> whose bytes are exactly <paramref name="bytes"/>, or, with
        /// <paramref name="prefix"/>, whose bytes begin <paramref name="bytes"/> (an array or object: a complete value's
        /// bytes end it).
        /// </summary>
        public bool TryGet(int field, ReadOnlySpan<byte> bytes, bool prefix, out object? value, out bool exact)
        {
            if (prefix || bytes.Length <= MaxRawBytes)
            {
                for (int i = field * Ways, end = i + Ways; i < end && _raw[i] is { } raw; i++)
                {
                    ReadOnlySpan<byte> known = raw.AsSpan(0, _length[i]);
                    if (prefix ? bytes.StartsWith(known) : bytes.SequenceEqual(known))
                    {
                        value = _value[i];
                        exact = _exact[i];
                        return true;
                    }
                }
            }

            value = null;
            exact = false;
            return false;
        }

        public void Put(int field, ReadOnlySpan<byte> raw, object? value, bool exact)
        {
            if (raw.Length > MaxRawBytes || raw.IsEmpty)
            {
                return;
            }

            int slot = (field * Ways) + _next[field];
            _next[field] = (byte)((_next[field] + 1) % Ways);
            byte[] bytes = _raw[slot] is { } old && old.Length >= raw.Length ? old : new byte[Math.Max(raw.Length, 32)];
            raw.CopyTo(bytes);
            _raw[slot] = bytes;
            _length[slot] = raw.Length;
            _value[slot] = value;
            _exact[slot] = exact;
        }
    }
}

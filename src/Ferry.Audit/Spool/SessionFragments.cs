using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Ferry.Audit;

/// <summary>
/// The JSON of the fields every event of one database session repeats, written once per session: the run from
/// <c>cluster</c> to <c>agent_id</c> and the run from <c>db_service</c> to <c>access_request_ids</c>, each exactly as
/// <see cref="AuditJsonContext"/> writes it (it is cut out of the serializer's own output for a template event). The
/// spool writes an event of the session with these bytes in place of those fields (<see cref="RecordFraming"/>)
/// while the event still has the session's values (<see cref="Matches"/>), and with the serializer otherwise: the
/// bytes are the same either way.
/// </summary>
internal sealed class SessionFragments
{
    private static readonly byte[] BeforeCommon = Encoding.UTF8.GetBytes("\"type\":\"\"");
    private static readonly byte[] BeforeDatabase = Encoding.UTF8.GetBytes(",\"success\":true");

    private readonly AuditOrigin _origin;
    private readonly DbSessionSubject _subject;

    private SessionFragments(AuditOrigin origin, DbSessionSubject subject, byte[] common, byte[] database)
    {
        _origin = origin;
        _subject = subject;
        Common = common;
        Database = database;
    }

    /// <summary><c>,"cluster":…,"agent_id":…</c> (the properties that are not null), or empty.</summary>
    public byte[] Common { get; }

    /// <summary><c>,"db_service":…,"access_request_ids":[…]</c> (the properties that are not null), or empty.</summary>
    public byte[] Database { get; }

    /// <summary>The fragments of <paramref name="subject"/>'s events made by a factory of <paramref name="origin"/>.</summary>
    public static SessionFragments For(AuditOrigin origin, DbSessionSubject subject)
    {
        var template = new AuditEvent { Id = "", Code = "", Type = "", Success = true };
        AuditEventFactory.Stamp(template, origin, subject);
        ReadOnlySpan<byte> json = JsonSerializer.SerializeToUtf8Bytes(template, AuditJsonContext.Default.AuditEvent);
        // {"id":"","time":"…","code":"","type":"" COMMON ,"success":true DATABASE }
        int common = json.IndexOf(BeforeCommon) + BeforeCommon.Length;
        int success = json[common..].IndexOf(BeforeDatabase) + common;
        int database = success + BeforeDatabase.Length;
        return new SessionFragments(origin, subject, json[common..success].ToArray(), json[database..^1].ToArray());
    }

    /// <summary>Whether <paramref name="e"/>'s session fields are still the ones these fragments were written from.</summary>
    public bool Matches(AuditEvent e) =>
        ReferenceEquals(e.Cluster, _origin.Cluster) && ReferenceEquals(e.ServerId, _origin.ServerId) && ReferenceEquals(e.AgentId, _origin.AgentId) &&
        ReferenceEquals(e.User, _subject.User) && ReferenceEquals(e.Roles, _subject.Roles) && ReferenceEquals(e.ClientAddr, _subject.ClientAddr) &&
        ReferenceEquals(e.SessionId, _subject.SessionId) && ReferenceEquals(e.DbService, _subject.DbService) &&
        ReferenceEquals(e.DbProtocol, _subject.DbProtocol) && ReferenceEquals(e.DbUser, _subject.DbUser) &&
        ReferenceEquals(e.DbName, _subject.DbName) && ReferenceEquals(e.DbLabels, _subject.DbLabels) &&
        ReferenceEquals(e.AccessRequestIds, AuditEventFactory.RequestIds(_subject));

    /// <summary>
    /// Writes <paramref name="e"/> (which <see cref="Matches"/> and has no truncated parameters) as the serializer
    /// would, with the fragments copied in: through <paramref name="json"/>, which writes into <paramref name="buffer"/>
    /// and is flushed before each fragment goes straight into the buffer after what it wrote.
    /// </summary>
    public void Write(Utf8JsonWriter json, ArrayBufferWriter<byte> buffer, AuditEvent e)
    {
        json.WriteStartObject();
        WriteString(json, Names.Id, e.Id);
        json.WriteString(Names.Time, e.Time);
        WriteString(json, Names.Code, e.Code);
        WriteString(json, Names.Type, e.Type);
        Append(json, buffer, Common);
        json.WriteBoolean(Names.Success, e.Success);
        WriteString(json, Names.Error, e.Error);
        Append(json, buffer, Database);
        WriteString(json, Names.Query, e.Query);
        WriteNumber(json, Names.QueryLength, e.QueryLength);
        WriteString(json, Names.QuerySha256, e.QuerySha256);
        if (e.Truncated is { } truncated)
        {
            json.WriteBoolean(Names.Truncated, truncated);
        }

        WriteString(json, Names.StatementName, e.StatementName);
        WriteNumber(json, Names.StatementId, e.StatementId);
        if (e.Parameters is { } parameters)
        {
            json.WriteStartArray(Names.Parameters);
            foreach (string? p in parameters)
            {
                json.WriteStringValue(p);
            }

            json.WriteEndArray();
        }

        WriteNumber(json, Names.Rows, e.Rows);
        WriteNumber(json, Names.BytesIn, e.BytesIn);
        WriteNumber(json, Names.BytesOut, e.BytesOut);
        WriteNumber(json, Names.DurationUs, e.DurationUs);
        WriteString(json, Names.EndReason, e.EndReason);
        if (e.Details is { } details)
        {
            json.WriteStartObject(Names.Details);
            foreach (KeyValuePair<string, string> pair in details)
            {
                json.WriteString(pair.Key, pair.Value);
            }

            json.WriteEndObject();
        }

        WriteString(json, Names.Source, e.Source);
        WriteNumber(json, Names.Seq, e.Seq);
        json.WriteEndObject();
    }

    /// <summary>Copies <paramref name="fragment"/> into the buffer after everything <paramref name="json"/> wrote; the writer carries on after it.</summary>
    private static void Append(Utf8JsonWriter json, ArrayBufferWriter<byte> buffer, byte[] fragment)
    {
        if (fragment.Length == 0)
        {
            return;
        }

        json.Flush();
        buffer.Write(fragment);
    }

    // Nulls are left out, as the serializer leaves them out (JsonIgnoreCondition.WhenWritingNull).
    private static void WriteString(Utf8JsonWriter json, JsonEncodedText name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteNumber(Utf8JsonWriter json, JsonEncodedText name, long? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
    }

    private static class Names
    {
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        public static readonly JsonEncodedText Time = JsonEncodedText.Encode("time");
        public static readonly JsonEncodedText Code = JsonEncodedText.Encode("code");
        public static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
        public static readonly JsonEncodedText Success = JsonEncodedText.Encode("success");
        public static readonly JsonEncodedText Error = JsonEncodedText.Encode("error");
        public static readonly JsonEncodedText Query = JsonEncodedText.Encode("query");
        public static readonly JsonEncodedText QueryLength = JsonEncodedText.Encode("query_length");
        public static readonly JsonEncodedText QuerySha256 = JsonEncodedText.Encode("query_sha256");
        public static readonly JsonEncodedText Truncated = JsonEncodedText.Encode("truncated");
        public static readonly JsonEncodedText StatementName = JsonEncodedText.Encode("statement_name");
        public static readonly JsonEncodedText StatementId = JsonEncodedText.Encode("statement_id");
        public static readonly JsonEncodedText Parameters = JsonEncodedText.Encode("parameters");
        public static readonly JsonEncodedText Rows = JsonEncodedText.Encode("rows");
        public static readonly JsonEncodedText BytesIn = JsonEncodedText.Encode("bytes_in");
        public static readonly JsonEncodedText BytesOut = JsonEncodedText.Encode("bytes_out");
        public static readonly JsonEncodedText DurationUs = JsonEncodedText.Encode("duration_us");
        public static readonly JsonEncodedText EndReason = JsonEncodedText.Encode("end_reason");
        public static readonly JsonEncodedText Details = JsonEncodedText.Encode("details");
        public static readonly JsonEncodedText Source = JsonEncodedText.Encode("source");
        public static readonly JsonEncodedText Seq = JsonEncodedText.Encode("seq");
    }
}

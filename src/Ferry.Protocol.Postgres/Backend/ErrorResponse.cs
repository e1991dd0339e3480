using System.Buffers;
using System.Text;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>
/// ErrorResponse ('E') and NoticeResponse ('N'): the same body, a list of typed fields.
/// <code>
///  +-----------+-------------+-------------------------------------------------+---+
///  | 'E' / 'N' | len (int32) | type(1) value\0  type(1) value\0 ...            | 0 |
///  |           |             | S severity, V severity (not localised), C SQLSTATE,|  |
///  |           |             | M message, D detail, H hint, P position, ...    |   |
///  +-----------+-------------+-------------------------------------------------+---+
/// </code>
/// </summary>
public readonly struct ErrorResponse
{
    private readonly ReadOnlySequence<byte> _fields;

    private ErrorResponse(bool isNotice, ReadOnlySequence<byte> fields, ReadOnlySequence<byte> severity,
        ReadOnlySequence<byte> sqlState, ReadOnlySequence<byte> message, ReadOnlySequence<byte> detail, ReadOnlySequence<byte> hint)
    {
        IsNotice = isNotice;
        _fields = fields;
        Severity = severity;
        SqlState = sqlState;
        Message = message;
        Detail = detail;
        Hint = hint;
    }

    public bool IsNotice { get; }

    /// <summary>Non-localised severity ('V') when present, else the localised one ('S').</summary>
    public ReadOnlySequence<byte> Severity { get; }

    public ReadOnlySequence<byte> SqlState { get; }

    public ReadOnlySequence<byte> Message { get; }

    public ReadOnlySequence<byte> Detail { get; }

    public ReadOnlySequence<byte> Hint { get; }

    /// <summary>Every field in wire order.</summary>
    public ErrorFieldEnumerator Fields => new(_fields);

    /// <summary>Reads an ErrorResponse or a NoticeResponse, validating the field list.</summary>
    public static ErrorResponse Read(in PostgresFrame frame)
    {
        bool isNotice = frame.Code == (byte)BackendMessageCode.NoticeResponse;
        if (!isNotice && frame.Code != (byte)BackendMessageCode.ErrorResponse)
        {
            throw new ArgumentException("not an ErrorResponse or NoticeResponse", nameof(frame));
        }

        ReadOnlySequence<byte> fields = frame.Payload;
        var reader = new PayloadReader(fields, isNotice ? "NoticeResponse" : "ErrorResponse");
        ReadOnlySequence<byte> severity = default, localized = default, sqlState = default, message = default, detail = default, hint = default;
        bool hasSeverity = false;
        while (true)
        {
            byte type = reader.ReadByte();
            if (type == 0)
            {
                break;
            }

            ReadOnlySequence<byte> value = reader.ReadCString();
            switch ((ErrorField)type)
            {
                case ErrorField.SeverityNonLocalized: severity = value; hasSeverity = true; break;
                case ErrorField.Severity: localized = value; break;
                case ErrorField.SqlState: sqlState = value; break;
                case ErrorField.Message: message = value; break;
                case ErrorField.Detail: detail = value; break;
                case ErrorField.Hint: hint = value; break;
                default: break;
            }
        }

        reader.ExpectEnd();
        return new ErrorResponse(isNotice, fields, hasSeverity ? severity : localized, sqlState, message, detail, hint);
    }

    /// <summary>
    /// Writes an ErrorResponse (or NoticeResponse with <paramref name="notice"/>): S and V severity,
    /// C SQLSTATE, M message, then D detail and H hint when not null.
    /// </summary>
    public static void Write(IBufferWriter<byte> writer, string severity, string sqlState, string message,
        string? detail = null, string? hint = null, bool notice = false)
    {
        if (sqlState.Length != 5)
        {
            throw new ArgumentException("a SQLSTATE has five characters", nameof(sqlState));
        }

        // body = 2 x (type + severity\0) + (type + sqlstate\0) + (type + message\0) [+ detail] [+ hint] + final 0
        int body = (2 * (1 + WireWriter.CStringLength(severity))) + 1 + WireWriter.CStringLength(sqlState)
            + 1 + WireWriter.CStringLength(message)
            + (detail is null ? 0 : 1 + WireWriter.CStringLength(detail))
            + (hint is null ? 0 : 1 + WireWriter.CStringLength(hint))
            + 1;
        byte code = notice ? (byte)BackendMessageCode.NoticeResponse : (byte)BackendMessageCode.ErrorResponse;
        var w = WireWriter.Begin(writer, code, body, out int total);
        w.WriteByte((byte)ErrorField.Severity);
        w.WriteCString(severity);
        w.WriteByte((byte)ErrorField.SeverityNonLocalized);
        w.WriteCString(severity);
        w.WriteByte((byte)ErrorField.SqlState);
        w.WriteCString(sqlState);
        w.WriteByte((byte)ErrorField.Message);
        w.WriteCString(message);
        if (detail is not null)
        {
            w.WriteByte((byte)ErrorField.Detail);
            w.WriteCString(detail);
        }

        if (hint is not null)
        {
            w.WriteByte((byte)ErrorField.Hint);
            w.WriteCString(hint);
        }

        w.WriteByte(0);
        MessageGuard.Finish(writer, w, total);
    }

    /// <summary>UTF-8 decoding helper for logs and tests (allocates).</summary>
    public static string Decode(in ReadOnlySequence<byte> value) => Encoding.UTF8.GetString(value);
}

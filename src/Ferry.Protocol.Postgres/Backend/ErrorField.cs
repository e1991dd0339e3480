namespace Ferry.Protocol.Postgres.Backend;

/// <summary>Field type bytes of ErrorResponse and NoticeResponse.</summary>
public enum ErrorField : byte
{
    Severity = (byte)'S',
    SeverityNonLocalized = (byte)'V',
    SqlState = (byte)'C',
    Message = (byte)'M',
    Detail = (byte)'D',
    Hint = (byte)'H',
    Position = (byte)'P',
    InternalPosition = (byte)'p',
    InternalQuery = (byte)'q',
    Where = (byte)'W',
    Schema = (byte)'s',
    Table = (byte)'t',
    Column = (byte)'c',
    DataType = (byte)'d',
    Constraint = (byte)'n',
    File = (byte)'F',
    Line = (byte)'L',
    Routine = (byte)'R',
}

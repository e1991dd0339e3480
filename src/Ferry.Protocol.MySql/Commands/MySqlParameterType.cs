namespace Ferry.Protocol.MySql.Commands;

/// <summary>A bound parameter's type as sent in COM_STMT_EXECUTE: type byte and flag byte (0x80 = unsigned).</summary>
public readonly record struct MySqlParameterType(MySqlColumnType Type, bool IsUnsigned)
{
    public const byte UnsignedFlag = 0x80;
}

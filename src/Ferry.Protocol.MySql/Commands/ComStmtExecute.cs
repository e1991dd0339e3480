using System.Buffers;

namespace Ferry.Protocol.MySql.Commands;

/// <summary>
/// COM_STMT_EXECUTE, decoded for audit. The parameter count comes from the COM_STMT_PREPARE_OK of the
/// statement; the types come from this packet when its new-params-bound flag is 1, else from the caller,
/// who keeps the last types bound per statement (see <see cref="CopyBoundTypesTo"/>).
/// <code>
///  +------+-----------+-------+--------------+-----------------------------+--------------+------+
///  | 0x17 | stmt id   | flags | iterations   | [param count lenenc: flag   | null bitmap  | new  |
///  |      | u32       | u8    | u32 (=1)     |  0x08 + QUERY_ATTRIBUTES]   | (n+7)/8      | bound|
///  +------+-----------+-------+--------------+-----------------------------+--------------+------+
///  | bound = 1: n x (type u8, flags u8 0x80 unsigned [, name lenenc: QUERY_ATTRIBUTES])       |
///  | n values, NULLs skipped: fixed ints/floats | u8 len + date/time | lenenc string/decimal   |
///  +---------------------------------------------------------------------------------------------+
/// </code>
/// </summary>
public readonly ref struct ComStmtExecute
{
    /// <summary>flags bit: a parameter count follows the iteration count (MySQL 8.0.26+).</summary>
    public const byte ParameterCountAvailable = 0x08;

    private readonly ReadOnlySequence<byte> _nullBitmap;
    private readonly ReadOnlySequence<byte> _types;
    private readonly ReadOnlySequence<byte> _values;
    private readonly ReadOnlySpan<MySqlParameterType> _knownTypes;
    private readonly bool _withNames;
    private readonly ulong _longDataMask;

    private ComStmtExecute(uint statementId, byte flags, uint iterationCount, int parameterCount, bool newParamsBound,
        ReadOnlySequence<byte> nullBitmap, ReadOnlySequence<byte> types, ReadOnlySequence<byte> values,
        ReadOnlySpan<MySqlParameterType> knownTypes, bool withNames, ulong longDataMask)
    {
        StatementId = statementId;
        Flags = flags;
        IterationCount = iterationCount;
        ParameterCount = parameterCount;
        NewParamsBound = newParamsBound;
        _nullBitmap = nullBitmap;
        _types = types;
        _values = values;
        _knownTypes = knownTypes;
        _withNames = withNames;
        _longDataMask = longDataMask;
    }

    public uint StatementId { get; }

    /// <summary>Cursor type and flags.</summary>
    public byte Flags { get; }

    public uint IterationCount { get; }

    public int ParameterCount { get; }

    /// <summary>True when this packet carries the parameter types (the caller should remember them).</summary>
    public bool NewParamsBound { get; }

    public ExecuteParameterEnumerator Parameters => new(_nullBitmap, _types, _values, _knownTypes, ParameterCount, _withNames, _longDataMask);

    /// <summary>Reads just the statement id (to look up the parameter count and types before a full read).</summary>
    public static uint PeekStatementId(ReadOnlySequence<byte> payload)
    {
        MySqlPayloadReader r = MySqlCommand.Open(payload, CommandCode.StmtExecute, "COM_STMT_EXECUTE");
        return r.ReadUInt32();
    }

    /// <summary>
    /// Reads and validates a COM_STMT_EXECUTE. <paramref name="parameterCount"/> is from the prepare response;
    /// <paramref name="knownTypes"/> the types last bound for the statement (used when the packet carries none);
    /// bit i of <paramref name="longDataMask"/> marks parameter i as sent by COM_STMT_SEND_LONG_DATA (not in the packet).
    /// </summary>
    public static ComStmtExecute Read(ReadOnlySequence<byte> payload, int parameterCount, ReadOnlySpan<MySqlParameterType> knownTypes,
        Packets.MySqlCapabilities capabilities = Packets.MySqlCapabilities.None, ulong longDataMask = 0)
    {
        MySqlPayloadReader r = MySqlCommand.Open(payload, CommandCode.StmtExecute, "COM_STMT_EXECUTE");
        uint id = r.ReadUInt32();
        byte flags = r.ReadByte();
        uint iterations = r.ReadUInt32();
        bool queryAttributes = (capabilities & Packets.MySqlCapabilities.QueryAttributes) != 0;
        if (queryAttributes && (flags & ParameterCountAvailable) != 0)
        {
            ulong count = r.ReadLengthEncoded();
            if (count > ushort.MaxValue)
            {
                MySqlThrow.Malformed("too many parameters");
            }

            parameterCount = (int)count;
        }

        ReadOnlySequence<byte> bitmap = default, types = default;
        bool bound = false;
        if (parameterCount > 0)
        {
            bitmap = r.ReadBytes((parameterCount + 7) / 8);
            byte boundFlag = r.ReadByte();
            if (boundFlag > 1)
            {
                MySqlThrow.Malformed("new-params-bound flag");
            }

            bound = boundFlag == 1;
            if (bound)
            {
                ReadOnlySequence<byte> start = r.Unread;
                for (int i = 0; i < parameterCount; i++)
                {
                    r.ReadUInt16();
                    if (queryAttributes)
                    {
                        r.ReadLengthEncodedString();
                    }
                }

                types = start.Slice(0, start.Length - r.Remaining);
            }
            else if (knownTypes.Length < parameterCount)
            {
                MySqlThrow.Malformed("statement executed before its parameter types were bound");
            }
        }

        ReadOnlySequence<byte> values = r.ReadRest();
        var message = new ComStmtExecute(id, flags, iterations, parameterCount, bound, bitmap, types, values, knownTypes,
            queryAttributes, longDataMask);
        ExecuteParameterEnumerator check = message.Parameters;
        while (check.MoveNext())
        {
        }

        if (!check.ReachedEnd)
        {
            MySqlThrow.Malformed("COM_STMT_EXECUTE: unexpected trailing bytes");
        }

        return message;
    }

    /// <summary>Copies the types this packet binds (when <see cref="NewParamsBound"/>) for the caller to keep.</summary>
    public int CopyBoundTypesTo(Span<MySqlParameterType> destination)
    {
        if (!NewParamsBound)
        {
            return 0;
        }

        var r = new MySqlPayloadReader(_types, "COM_STMT_EXECUTE types");
        for (int i = 0; i < ParameterCount; i++)
        {
            ushort t = r.ReadUInt16();
            destination[i] = new MySqlParameterType((MySqlColumnType)(t & 0xFF), (t >> 8 & MySqlParameterType.UnsignedFlag) != 0);
            if (_withNames)
            {
                r.ReadLengthEncodedString();
            }
        }

        return ParameterCount;
    }

    /// <summary>
    /// Writes COM_STMT_EXECUTE (no query attributes). <paramref name="values"/> hold each value's bytes without a
    /// length prefix (null = SQL NULL); the prefix is added from the type. Types are sent when <paramref name="sendTypes"/>.
    /// </summary>
    public static void Write(IBufferWriter<byte> writer, uint statementId, byte flags, ReadOnlySpan<MySqlParameterType> types,
        ReadOnlySpan<byte[]?> values, bool sendTypes)
    {
        if (types.Length != values.Length)
        {
            throw new ArgumentException("one type per value", nameof(types));
        }

        int n = values.Length;
        // payload = code (1) + id (4) + flags (1) + iterations (4) [+ bitmap + bound (1) [+ 2n types] + values]
        int payload = 1 + 4 + 1 + 4;
        if (n > 0)
        {
            payload += ((n + 7) / 8) + 1 + (sendTypes ? 2 * n : 0);
            for (int i = 0; i < n; i++)
            {
                payload += ValueSize(types[i].Type, values[i]);
            }
        }

        var w = MySqlWireWriter.Begin(writer, 0, payload, out int total);
        w.WriteByte((byte)CommandCode.StmtExecute);
        w.WriteUInt32(statementId);
        w.WriteByte(flags);
        w.WriteUInt32(1);
        if (n > 0)
        {
            for (int b = 0; b < (n + 7) / 8; b++)
            {
                byte bits = 0;
                for (int i = b * 8; i < Math.Min(n, (b * 8) + 8); i++)
                {
                    bits |= values[i] is null ? (byte)(1 << (i & 7)) : (byte)0;
                }

                w.WriteByte(bits);
            }

            w.WriteByte(sendTypes ? (byte)1 : (byte)0);
            if (sendTypes)
            {
                foreach (MySqlParameterType type in types)
                {
                    w.WriteByte((byte)type.Type);
                    w.WriteByte(type.IsUnsigned ? MySqlParameterType.UnsignedFlag : (byte)0);
                }
            }

            for (int i = 0; i < n; i++)
            {
                byte[]? value = values[i];
                if (value is null)
                {
                    continue;
                }

                if (BinaryParameters.FixedSize(types[i].Type) >= 0)
                {
                    w.WriteBytes(value);
                }
                else if (BinaryParameters.IsTemporal(types[i].Type))
                {
                    w.WriteByte((byte)value.Length);
                    w.WriteBytes(value);
                }
                else
                {
                    w.WriteLengthEncodedString(value);
                }
            }
        }

        w.Finish(writer, total);
    }

    private static int ValueSize(MySqlColumnType type, byte[]? value)
    {
        if (value is null)
        {
            return 0;
        }

        int size = BinaryParameters.FixedSize(type);
        if (size >= 0)
        {
            if (value.Length != size)
            {
                throw new ArgumentException($"a {type} value is {size} bytes", nameof(value));
            }

            return size;
        }

        return BinaryParameters.IsTemporal(type) ? 1 + value.Length : MySqlWireWriter.LengthEncodedStringSize(value.Length);
    }
}

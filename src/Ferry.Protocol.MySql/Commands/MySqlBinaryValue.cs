using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;

namespace Ferry.Protocol.MySql.Commands;

/// <summary>
/// One COM_STMT_EXECUTE parameter: its type, NULL-ness and raw value bytes (without a length prefix), with a
/// readable SQL-literal rendering for the audit log.
/// </summary>
public readonly struct MySqlBinaryValue
{
    public MySqlBinaryValue(int index, MySqlParameterType type, bool isNull, bool isLongData, ReadOnlySequence<byte> raw)
    {
        Index = index;
        Type = type;
        IsNull = isNull;
        IsLongData = isLongData;
        Raw = raw;
    }

    public int Index { get; }

    public MySqlParameterType Type { get; }

    public bool IsNull { get; }

    /// <summary>The value was sent earlier with COM_STMT_SEND_LONG_DATA, not in this packet.</summary>
    public bool IsLongData { get; }

    public ReadOnlySequence<byte> Raw { get; }

    /// <summary>
    /// Writes the value as UTF-8 in SQL-literal form: NULL, numbers, 'text' (quotes doubled), X'hex' for
    /// binary types, 'YYYY-MM-DD hh:mm:ss[.ffffff]' for temporals. Allocation-free.
    /// </summary>
    public void FormatTo(IBufferWriter<byte> writer)
    {
        if (IsNull)
        {
            Append(writer, "NULL"u8);
            return;
        }

        if (IsLongData)
        {
            Append(writer, "<long data>"u8);
            return;
        }

        Span<byte> fixedBytes = stackalloc byte[8];
        MySqlColumnType type = Type.Type;
        int size = BinaryParameters.FixedSize(type);
        if (size > 0)
        {
            Raw.CopyTo(fixedBytes);
            FormatNumber(writer, type, Type.IsUnsigned, fixedBytes);
            return;
        }

        if (BinaryParameters.IsTemporal(type))
        {
            Span<byte> temporal = stackalloc byte[12];
            Raw.CopyTo(temporal);
            FormatTemporal(writer, type, temporal.Slice(0, (int)Raw.Length));
            return;
        }

        if (type is MySqlColumnType.TinyBlob or MySqlColumnType.MediumBlob or MySqlColumnType.LongBlob or MySqlColumnType.Blob
            or MySqlColumnType.Geometry or MySqlColumnType.Bit)
        {
            FormatHex(writer, Raw);
            return;
        }

        FormatQuoted(writer, Raw);
    }

    private static void FormatNumber(IBufferWriter<byte> writer, MySqlColumnType type, bool unsigned, ReadOnlySpan<byte> b)
    {
        Span<byte> span = writer.GetSpan(32);
        int written;
        bool ok = type switch
        {
            MySqlColumnType.Tiny => unsigned ? Utf8Formatter.TryFormat(b[0], span, out written) : Utf8Formatter.TryFormat((sbyte)b[0], span, out written),
            MySqlColumnType.Short or MySqlColumnType.Year => unsigned
                ? Utf8Formatter.TryFormat(BinaryPrimitives.ReadUInt16LittleEndian(b), span, out written)
                : Utf8Formatter.TryFormat(BinaryPrimitives.ReadInt16LittleEndian(b), span, out written),
            MySqlColumnType.Long or MySqlColumnType.Int24 => unsigned
                ? Utf8Formatter.TryFormat(BinaryPrimitives.ReadUInt32LittleEndian(b), span, out written)
                : Utf8Formatter.TryFormat(BinaryPrimitives.ReadInt32LittleEndian(b), span, out written),
            MySqlColumnType.LongLong => unsigned
                ? Utf8Formatter.TryFormat(BinaryPrimitives.ReadUInt64LittleEndian(b), span, out written)
                : Utf8Formatter.TryFormat(BinaryPrimitives.ReadInt64LittleEndian(b), span, out written),
            MySqlColumnType.Float => BinaryPrimitives.ReadSingleLittleEndian(b).TryFormat(span, out written, default, System.Globalization.CultureInfo.InvariantCulture),
            _ => BinaryPrimitives.ReadDoubleLittleEndian(b).TryFormat(span, out written, default, System.Globalization.CultureInfo.InvariantCulture),
        };
        System.Diagnostics.Debug.Assert(ok, "32 bytes hold any number");
        writer.Advance(written);
    }

    private static void FormatTemporal(IBufferWriter<byte> writer, MySqlColumnType type, ReadOnlySpan<byte> b)
    {
        Span<byte> s = writer.GetSpan(48);
        int p = 0;
        s[p++] = (byte)'\'';
        if (type is MySqlColumnType.Time or MySqlColumnType.Time2)
        {
            // negative u8, days u32, hours u8, minutes u8, seconds u8 [, micro u32]
            bool negative = b.Length > 0 && b[0] == 1;
            uint days = b.Length >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(1)) : 0;
            if (negative)
            {
                s[p++] = (byte)'-';
            }

            p += Number(s.Slice(p), (days * 24) + (b.Length >= 8 ? b[5] : 0u), 2);
            s[p++] = (byte)':';
            p += Number(s.Slice(p), b.Length >= 8 ? b[6] : 0u, 2);
            s[p++] = (byte)':';
            p += Number(s.Slice(p), b.Length >= 8 ? b[7] : 0u, 2);
            p += Micro(s.Slice(p), b.Length >= 12 ? BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(8)) : 0);
        }
        else
        {
            // year u16, month u8, day u8 [, hour u8, minute u8, second u8 [, micro u32]]
            p += Number(s.Slice(p), b.Length >= 4 ? BinaryPrimitives.ReadUInt16LittleEndian(b) : 0u, 4);
            s[p++] = (byte)'-';
            p += Number(s.Slice(p), b.Length >= 4 ? b[2] : 0u, 2);
            s[p++] = (byte)'-';
            p += Number(s.Slice(p), b.Length >= 4 ? b[3] : 0u, 2);
            if (type != MySqlColumnType.Date)
            {
                s[p++] = (byte)' ';
                p += Number(s.Slice(p), b.Length >= 7 ? b[4] : 0u, 2);
                s[p++] = (byte)':';
                p += Number(s.Slice(p), b.Length >= 7 ? b[5] : 0u, 2);
                s[p++] = (byte)':';
                p += Number(s.Slice(p), b.Length >= 7 ? b[6] : 0u, 2);
                p += Micro(s.Slice(p), b.Length >= 11 ? BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(7)) : 0);
            }
        }

        s[p++] = (byte)'\'';
        writer.Advance(p);
    }

    private static int Number(Span<byte> destination, uint value, int digits)
    {
        Utf8Formatter.TryFormat(value, destination, out int written, new StandardFormat('D', (byte)digits));
        return written;
    }

    private static int Micro(Span<byte> destination, uint micro)
    {
        if (micro == 0)
        {
            return 0;
        }

        destination[0] = (byte)'.';
        return 1 + Number(destination.Slice(1), micro, 6);
    }

    private static void FormatQuoted(IBufferWriter<byte> writer, in ReadOnlySequence<byte> raw)
    {
        Append(writer, "'"u8);
        foreach (ReadOnlyMemory<byte> memory in raw)
        {
            ReadOnlySpan<byte> rest = memory.Span;
            while (!rest.IsEmpty)
            {
                int quote = rest.IndexOf((byte)'\'');
                if (quote < 0)
                {
                    Append(writer, rest);
                    break;
                }

                Append(writer, rest.Slice(0, quote + 1));
                Append(writer, "'"u8);
                rest = rest.Slice(quote + 1);
            }
        }

        Append(writer, "'"u8);
    }

    private static void FormatHex(IBufferWriter<byte> writer, in ReadOnlySequence<byte> raw)
    {
        Append(writer, "X'"u8);
        foreach (ReadOnlyMemory<byte> memory in raw)
        {
            ReadOnlySpan<byte> rest = memory.Span;
            while (!rest.IsEmpty)
            {
                int chunk = Math.Min(rest.Length, 1024);
                Span<byte> span = writer.GetSpan(chunk * 2);
                Hex(rest.Slice(0, chunk), span);
                writer.Advance(chunk * 2);
                rest = rest.Slice(chunk);
            }
        }

        Append(writer, "'"u8);
    }

    private static void Hex(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ReadOnlySpan<byte> digits = "0123456789ABCDEF"u8;
        for (int i = 0; i < source.Length; i++)
        {
            destination[2 * i] = digits[source[i] >> 4];
            destination[(2 * i) + 1] = digits[source[i] & 0xF];
        }
    }

    private static void Append(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
    }
}

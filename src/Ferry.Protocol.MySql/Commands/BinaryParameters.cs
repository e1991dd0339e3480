using System.Buffers;

namespace Ferry.Protocol.MySql.Commands;

/// <summary>Sizes and skipping of binary-protocol values.</summary>
internal static class BinaryParameters
{
    /// <summary>Fixed size of a value of <paramref name="type"/>, or -1 when it is length-prefixed.</summary>
    public static int FixedSize(MySqlColumnType type) => type switch
    {
        MySqlColumnType.Null => 0,
        MySqlColumnType.Tiny => 1,
        MySqlColumnType.Short or MySqlColumnType.Year => 2,
        MySqlColumnType.Long or MySqlColumnType.Int24 or MySqlColumnType.Float => 4,
        MySqlColumnType.LongLong or MySqlColumnType.Double => 8,
        _ => -1,
    };

    /// <summary>True for types whose value is a 1-byte length then that many bytes (dates and times).</summary>
    public static bool IsTemporal(MySqlColumnType type) => type is MySqlColumnType.Date or MySqlColumnType.DateTime
        or MySqlColumnType.Timestamp or MySqlColumnType.Time or MySqlColumnType.NewDate
        or MySqlColumnType.DateTime2 or MySqlColumnType.Timestamp2 or MySqlColumnType.Time2;

    /// <summary>Reads one value's bytes (without its length prefix).</summary>
    public static ReadOnlySequence<byte> ReadValue(ref MySqlPayloadReader r, MySqlColumnType type)
    {
        int size = FixedSize(type);
        if (size >= 0)
        {
            return r.ReadBytes(size);
        }

        if (IsTemporal(type))
        {
            byte length = r.ReadByte();
            if (length is not (0 or 4 or 7 or 8 or 11 or 12))
            {
                MySqlThrow.Malformed($"temporal value of {length} bytes");
            }

            return r.ReadBytes(length);
        }

        return r.ReadLengthEncodedString();
    }

    /// <summary>
    /// Span version of <see cref="ReadValue"/>: where the value starts (after its length prefix) and how long it is.
    /// Throws ER_MALFORMED_PACKET when the span is too short.
    /// </summary>
    public static (int Start, int Length) Locate(ReadOnlySpan<byte> span, MySqlColumnType type)
    {
        int size = FixedSize(type);
        int start = 0;
        long length;
        if (size >= 0)
        {
            length = size;
        }
        else if (IsTemporal(type))
        {
            if (span.IsEmpty)
            {
                MySqlThrow.Malformed("COM_STMT_EXECUTE values: truncated");
            }

            length = span[0];
            start = 1;
            if (length is not (0 or 4 or 7 or 8 or 11 or 12))
            {
                MySqlThrow.Malformed($"temporal value of {length} bytes");
            }
        }
        else
        {
            if (span.IsEmpty)
            {
                MySqlThrow.Malformed("COM_STMT_EXECUTE values: truncated");
            }

            (start, length) = span[0] switch
            {
                < 0xFB => (1, span[0]),
                0xFC when span.Length >= 3 => (3, span[1] | (span[2] << 8)),
                0xFD when span.Length >= 4 => (4, span[1] | (span[2] << 8) | (span[3] << 16)),
                0xFE when span.Length >= 9 => (9, (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(span.Slice(1))),
                _ => (0, -1L),
            };
        }

        if (length < 0 || length > span.Length - start)
        {
            MySqlThrow.Malformed("COM_STMT_EXECUTE values: truncated");
        }

        return (start, (int)length);
    }

    /// <summary>Skips query attributes: null bitmap, bound flag, types (+ names), values.</summary>
    public static void Skip(ref MySqlPayloadReader r, int count, bool withNames)
    {
        ReadOnlySequence<byte> bitmap = r.ReadBytes((count + 7) / 8);
        if (r.ReadByte() != 1)
        {
            MySqlThrow.Malformed("query attributes without types");
        }

        ReadOnlySequence<byte> types = r.Unread;
        for (int i = 0; i < count; i++)
        {
            r.ReadUInt16();
            if (withNames)
            {
                r.ReadLengthEncodedString();
            }
        }

        var t = new MySqlPayloadReader(types, "query attributes");
        for (int i = 0; i < count; i++)
        {
            var type = (MySqlColumnType)(t.ReadUInt16() & 0xFF);
            if (withNames)
            {
                t.ReadLengthEncodedString();
            }

            if (!IsNull(bitmap, i))
            {
                ReadValue(ref r, type);
            }
        }
    }

    public static bool IsNull(in ReadOnlySequence<byte> bitmap, int index)
    {
        if (bitmap.IsSingleSegment)
        {
            return (bitmap.FirstSpan[index >> 3] & (1 << (index & 7))) != 0;
        }

        // A slice can start at the end of a segment (empty first span): go through the reader.
        var reader = new SequenceReader<byte>(bitmap);
        reader.Advance(index >> 3);
        reader.TryPeek(out byte b);
        return (b & (1 << (index & 7))) != 0;
    }
}

using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Ferry.Protocol.Postgres;

/// <summary>
/// Forward-only writer over one span obtained with <c>GetSpan(total)</c>: every message writer computes its
/// exact size first, fills the span, then calls <c>Advance(total)</c> once.
/// </summary>
internal ref struct WireWriter
{
    private readonly Span<byte> _span;
    private int _position;

    public WireWriter(Span<byte> span)
    {
        _span = span;
        _position = 0;
    }

    public readonly int Position => _position;

    /// <summary>Checks that the precomputed size was exactly filled (debug builds).</summary>
    [System.Diagnostics.Conditional("DEBUG")]
    public readonly void AssertFilled(int total) =>
        System.Diagnostics.Debug.Assert(_position == total, $"wrote {_position} of {total} bytes");

    /// <summary>Starts a regular message: type byte and int32 length (length counts itself, not the type).</summary>
    public static WireWriter Begin(IBufferWriter<byte> writer, byte code, int bodyLength, out int total)
    {
        // total = type (1) + length (4) + body
        total = 1 + 4 + bodyLength;
        var w = new WireWriter(writer.GetSpan(total));
        w.WriteByte(code);
        w.WriteInt32(4 + bodyLength);
        return w;
    }

    public void WriteByte(byte value) => _span[_position++] = value;

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_span.Slice(_position), value);
        _position += 2;
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_span.Slice(_position), value);
        _position += 4;
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_span.Slice(_position));
        _position += value.Length;
    }

    public void WriteBytes(in ReadOnlySequence<byte> value)
    {
        value.CopyTo(_span.Slice(_position));
        _position += (int)value.Length;
    }

    public void WriteCString(ReadOnlySpan<byte> value)
    {
        WriteBytes(value);
        WriteByte(0);
    }

    public void WriteCString(string value)
    {
        _position += Encoding.UTF8.GetBytes(value, _span.Slice(_position));
        WriteByte(0);
    }

    /// <summary>Writes a value with an int32 length prefix, or -1 for NULL.</summary>
    public void WriteLengthPrefixed(ReadOnlySpan<byte> value, bool isNull)
    {
        if (isNull)
        {
            WriteInt32(-1);
            return;
        }

        WriteInt32(value.Length);
        WriteBytes(value);
    }

    public static int CStringLength(string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("a protocol string cannot contain a NUL character", nameof(value));
        }

        return Encoding.UTF8.GetByteCount(value) + 1;
    }

    public static int CStringLength(ReadOnlySpan<byte> value)
    {
        if (value.IndexOf((byte)0) >= 0)
        {
            throw new ArgumentException("a protocol string cannot contain a NUL byte", nameof(value));
        }

        return value.Length + 1;
    }
}

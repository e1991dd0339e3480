using System.Buffers;

namespace Ferry.Protocol.Postgres.Backend;

/// <summary>Allocation-free enumerator over validated error/notice fields, in wire order.</summary>
public struct ErrorFieldEnumerator
{
    private readonly ReadOnlySequence<byte> _fields;
    private SequencePosition _position;
    private ErrorFieldValue _current;

    internal ErrorFieldEnumerator(ReadOnlySequence<byte> fields)
    {
        _fields = fields;
        _position = fields.Start;
        _current = default;
    }

    public readonly ErrorFieldValue Current => _current;

    public readonly ErrorFieldEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        var reader = new SequenceReader<byte>(_fields.Slice(_position));
        if (!reader.TryRead(out byte type) || type == 0)
        {
            return false;
        }

        reader.TryReadTo(out ReadOnlySequence<byte> value, 0);
        _current = new ErrorFieldValue((ErrorField)type, value);
        _position = reader.Position;
        return true;
    }
}

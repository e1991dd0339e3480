using System.Buffers;

namespace Ferry.Protocol.MySql.Handshake;

/// <summary>Allocation-free enumerator over validated connect attributes (length-encoded key/value pairs).</summary>
public struct ConnectAttributeEnumerator
{
    private readonly ReadOnlySequence<byte> _attributes;
    private SequencePosition _position;
    private ConnectAttribute _current;

    internal ConnectAttributeEnumerator(ReadOnlySequence<byte> attributes)
    {
        _attributes = attributes;
        _position = attributes.Start;
        _current = default;
    }

    public readonly ConnectAttribute Current => _current;

    public readonly ConnectAttributeEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        ReadOnlySequence<byte> rest = _attributes.Slice(_position);
        if (rest.IsEmpty)
        {
            return false;
        }

        var r = new MySqlPayloadReader(rest, "connect attributes");
        ReadOnlySequence<byte> key = r.ReadLengthEncodedString();
        ReadOnlySequence<byte> value = r.ReadLengthEncodedString();
        _current = new ConnectAttribute(key, value);
        _position = value.End;
        return true;
    }

    /// <summary>Checks every pair is complete (called once at parse time so enumeration cannot throw).</summary>
    internal static void Validate(in ReadOnlySequence<byte> attributes)
    {
        var r = new MySqlPayloadReader(attributes, "connect attributes");
        while (!r.End)
        {
            r.ReadLengthEncodedString();
            r.ReadLengthEncodedString();
        }
    }
}

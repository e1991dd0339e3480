using System.Buffers;

namespace Ferry.Protocol.Postgres.Startup;

/// <summary>Allocation-free enumerator over a validated StartupMessage's parameter list.</summary>
public struct StartupParameterEnumerator
{
    private readonly ReadOnlySequence<byte> _list;
    private SequencePosition _position;
    private StartupParameter _current;

    internal StartupParameterEnumerator(ReadOnlySequence<byte> list)
    {
        _list = list;
        _position = list.Start;
        _current = default;
    }

    public readonly StartupParameter Current => _current;

    public readonly StartupParameterEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        var reader = new SequenceReader<byte>(_list.Slice(_position));
        // The list was validated by StartupMessage.Read: names and values are terminated, the list ends with 0.
        if (!reader.TryReadTo(out ReadOnlySequence<byte> name, 0) || name.IsEmpty)
        {
            return false;
        }

        reader.TryReadTo(out ReadOnlySequence<byte> value, 0);
        _current = new StartupParameter(name, value);
        _position = reader.Position;
        return true;
    }
}

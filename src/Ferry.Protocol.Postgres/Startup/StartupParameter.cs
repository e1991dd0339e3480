using System.Buffers;

namespace Ferry.Protocol.Postgres.Startup;

/// <summary>One name/value pair of a StartupMessage, as slices of the packet.</summary>
public readonly struct StartupParameter
{
    public StartupParameter(ReadOnlySequence<byte> name, ReadOnlySequence<byte> value)
    {
        Name = name;
        Value = value;
    }

    public ReadOnlySequence<byte> Name { get; }

    public ReadOnlySequence<byte> Value { get; }

    /// <summary>True for protocol extension options (<c>_pq_.</c> prefix), which a server may not know.</summary>
    public bool IsProtocolOption => StartsWith(Name, "_pq_."u8);

    public bool NameEquals(ReadOnlySpan<byte> name) => Equal(Name, name);

    internal static bool Equal(in ReadOnlySequence<byte> sequence, ReadOnlySpan<byte> value) =>
        sequence.Length == value.Length && (sequence.IsSingleSegment
            ? sequence.FirstSpan.SequenceEqual(value)
            : StartsWith(sequence, value));

    internal static bool StartsWith(in ReadOnlySequence<byte> sequence, ReadOnlySpan<byte> prefix)
    {
        if (sequence.Length < prefix.Length)
        {
            return false;
        }

        if (sequence.FirstSpan.Length >= prefix.Length)
        {
            return sequence.FirstSpan.StartsWith(prefix);
        }

        var reader = new SequenceReader<byte>(sequence);
        return reader.IsNext(prefix);
    }
}

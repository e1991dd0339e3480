using System.Formats.Asn1;

namespace Ferry.Identity;

/// <summary>The frame both identity extensions share: one DER SEQUENCE with nothing after it, opening with an INTEGER version.</summary>
internal static class VersionedSequence
{
    /// <summary>
    /// Opens the sequence in <paramref name="der"/> and reads its version; false for another version.
    /// Malformed DER throws <see cref="AsnContentException"/>, which the decoders turn into false.
    /// </summary>
    public static bool TryOpen(ReadOnlyMemory<byte> der, int version, out AsnReader body)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER);
        body = outer.ReadSequence();
        outer.ThrowIfNotEmpty();
        return body.TryReadInt32(out var actual) && actual == version;
    }
}

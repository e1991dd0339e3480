using System.Formats.Asn1;

namespace Ferry.Identity;

/// <summary>DER codec of FerrySessionLimit (see <see cref="IdentityOids.SessionLimitExtension"/>): one GeneralizedTime.</summary>
internal static class SessionLimitExtension
{
    public static byte[] Encode(DateTimeOffset limit)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteGeneralizedTime(DateTimeOffset.FromUnixTimeSeconds(limit.ToUnixTimeSeconds()), omitFractionalSeconds: true);
        return writer.Encode();
    }

    /// <summary>Decodes strictly (DER, nothing after the time); false on any malformation.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> der, out DateTimeOffset limit)
    {
        limit = default;
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            limit = reader.ReadGeneralizedTime();
            reader.ThrowIfNotEmpty();
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}

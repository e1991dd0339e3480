using System.Formats.Asn1;

namespace Ferry.Identity;

/// <summary>DER codec of the FerryHostIdentity structure (see <see cref="IdentityOids.HostIdentityExtension"/>).</summary>
internal static class HostIdentityExtension
{
    private const int Version = 1;

    public static byte[] Encode(HostRole role, string hostId, string clusterName)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER, initialCapacity: 64);
        using (writer.PushSequence())
        {
            writer.WriteInteger(Version);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, ProtocolNames.ToName(role));
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, hostId);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, clusterName);
        }

        return writer.Encode();
    }

    public static bool TryDecode(ReadOnlyMemory<byte> der, out HostRole role, out string hostId, out string clusterName)
    {
        role = default;
        hostId = "";
        clusterName = "";
        try
        {
            if (!VersionedSequence.TryOpen(der, Version, out var seq))
            {
                return false;
            }

            var roleName = seq.ReadCharacterString(UniversalTagNumber.UTF8String);
            hostId = seq.ReadCharacterString(UniversalTagNumber.UTF8String);
            clusterName = seq.ReadCharacterString(UniversalTagNumber.UTF8String);
            seq.ThrowIfNotEmpty();
            return hostId.Length > 0 && ProtocolNames.TryParse(roleName, out role);
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}

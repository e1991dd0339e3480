using System.Formats.Asn1;

namespace Ferry.Identity;

/// <summary>DER codec of the FerryUserIdentity structure (see <see cref="IdentityOids.UserIdentityExtension"/>).</summary>
internal static class UserIdentityExtension
{
    private const int Version = 1;
    private static readonly Asn1Tag RouteTag = new(TagClass.ContextSpecific, 0, isConstructed: true);

    public static byte[] Encode(UserIdentity identity)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER, initialCapacity: 256);
        using (writer.PushSequence())
        {
            writer.WriteInteger(Version);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, identity.User);
            WriteStrings(writer, identity.Roles);
            using (writer.PushSequence())
            {
                foreach (var name in SortedTraitNames(identity.Traits))
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteCharacterString(UniversalTagNumber.UTF8String, name);
                        WriteStrings(writer, identity.Traits[name]);
                    }
                }
            }

            if (identity.Route is { } route)
            {
                using (writer.PushSequence(RouteTag))
                {
                    writer.WriteCharacterString(UniversalTagNumber.UTF8String, route.ServiceName);
                    writer.WriteCharacterString(UniversalTagNumber.UTF8String, ProtocolNames.ToName(route.Protocol));
                    writer.WriteCharacterString(UniversalTagNumber.UTF8String, route.DbUser);
                    writer.WriteCharacterString(UniversalTagNumber.UTF8String, route.DbName);
                }
            }

            WriteStrings(writer, identity.AccessRequestIds);
            writer.WriteBoolean(identity.MfaVerified);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, identity.ClusterName);
            if (identity.Connector.Length > 0)
            {
                // Appended, and only when set: readers that predate it still parse a local user's certificate.
                writer.WriteCharacterString(UniversalTagNumber.UTF8String, identity.Connector);
            }

            if (identity.ResourceIds.Count > 0)
            {
                // Appended after the connector (a SEQUENCE, so it is told apart from the connector's UTF8String), only
                // when set: a reader that predates it refuses such a certificate rather than ignoring the limit.
                WriteStrings(writer, identity.ResourceIds);
            }
        }

        return writer.Encode();
    }

    /// <summary>Decodes strictly (DER, known version, no trailing data); returns false on any malformation.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> der, DateTimeOffset notBefore, DateTimeOffset notAfter, string serial, out UserIdentity? identity)
    {
        identity = null;
        try
        {
            if (!VersionedSequence.TryOpen(der, Version, out var seq))
            {
                return false;
            }

            var user = seq.ReadCharacterString(UniversalTagNumber.UTF8String);
            var roles = ReadStrings(seq);
            var traits = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            var traitSeq = seq.ReadSequence();
            string? previous = null;
            while (traitSeq.HasData)
            {
                var pair = traitSeq.ReadSequence();
                var name = pair.ReadCharacterString(UniversalTagNumber.UTF8String);
                var values = ReadStrings(pair);
                pair.ThrowIfNotEmpty();
                if (previous is not null && string.CompareOrdinal(previous, name) >= 0)
                {
                    return false; // unsorted or duplicate trait names: not the canonical encoding
                }

                traits.Add(name, values);
                previous = name;
            }

            DatabaseRoute? route = null;
            if (seq.HasData && seq.PeekTag().HasSameClassAndValue(RouteTag))
            {
                var r = seq.ReadSequence(RouteTag);
                var service = r.ReadCharacterString(UniversalTagNumber.UTF8String);
                var protocolName = r.ReadCharacterString(UniversalTagNumber.UTF8String);
                var dbUser = r.ReadCharacterString(UniversalTagNumber.UTF8String);
                var dbName = r.ReadCharacterString(UniversalTagNumber.UTF8String);
                r.ThrowIfNotEmpty();
                if (!ProtocolNames.TryParse(protocolName, out DatabaseProtocol protocol))
                {
                    return false;
                }

                route = new DatabaseRoute(service, protocol, dbUser, dbName);
            }

            var requests = ReadStrings(seq);
            var mfa = seq.ReadBoolean();
            var cluster = seq.ReadCharacterString(UniversalTagNumber.UTF8String);
            var hasConnector = seq.HasData && seq.PeekTag().HasSameClassAndValue(new Asn1Tag(UniversalTagNumber.UTF8String));
            var connector = hasConnector ? seq.ReadCharacterString(UniversalTagNumber.UTF8String) : "";
            var hasResources = seq.HasData;
            var resources = hasResources ? ReadStrings(seq) : [];
            seq.ThrowIfNotEmpty();
            if (user.Length == 0 || (hasConnector && connector.Length == 0) || (hasResources && resources.Length == 0))
            {
                return false;
            }

            identity = new UserIdentity
            {
                User = user,
                ClusterName = cluster,
                Roles = roles,
                Traits = traits,
                Route = route,
                AccessRequestIds = requests,
                MfaVerified = mfa,
                Connector = connector,
                ResourceIds = resources,
                NotBefore = notBefore,
                NotAfter = notAfter,
                SerialNumber = serial,
            };
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false; // duplicate trait name
        }
    }

    private static string[] SortedTraitNames(IReadOnlyDictionary<string, IReadOnlyList<string>> traits)
    {
        var names = new string[traits.Count];
        var i = 0;
        foreach (var key in traits.Keys)
        {
            names[i++] = key;
        }

        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }

    private static void WriteStrings(AsnWriter writer, IReadOnlyList<string> values)
    {
        using (writer.PushSequence())
        {
            for (var i = 0; i < values.Count; i++)
            {
                writer.WriteCharacterString(UniversalTagNumber.UTF8String, values[i]);
            }
        }
    }

    private static string[] ReadStrings(AsnReader reader)
    {
        var seq = reader.ReadSequence();
        var list = new List<string>();
        while (seq.HasData)
        {
            list.Add(seq.ReadCharacterString(UniversalTagNumber.UTF8String));
        }

        return [.. list];
    }
}

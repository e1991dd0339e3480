using System.Buffers;

namespace Ferry.Protocol.Postgres.Startup;

/// <summary>
/// StartupMessage: the parameters the agent's RBAC check and the audit need.
/// <code>
///  +-------------+------------------+-------------------------------------------------+---+
///  | len (int32) | version (int32)  | name\0 value\0 name\0 value\0 ...               | 0 |
///  |             | 3.0 = 196608     | user (required), database, application_name,    |   |
///  |             | 3.2 = 196610     | options, replication, _pq_.* protocol options   |   |
///  +-------------+------------------+-------------------------------------------------+---+
/// </code>
/// </summary>
public readonly struct StartupMessage
{
    private readonly ReadOnlySequence<byte> _parameters;

    private StartupMessage(int majorVersion, int minorVersion, ReadOnlySequence<byte> parameters,
        ReadOnlySequence<byte> user, ReadOnlySequence<byte> database, ReadOnlySequence<byte> applicationName,
        ReadOnlySequence<byte> options, bool hasDatabase, int protocolOptionCount)
    {
        MajorVersion = majorVersion;
        MinorVersion = minorVersion;
        _parameters = parameters;
        User = user;
        Database = database;
        ApplicationName = applicationName;
        Options = options;
        HasDatabase = hasDatabase;
        ProtocolOptionCount = protocolOptionCount;
    }

    public int MajorVersion { get; }

    public int MinorVersion { get; }

    /// <summary>The database user (required by the protocol).</summary>
    public ReadOnlySequence<byte> User { get; }

    /// <summary>The database name; when absent the server uses the user name (see <see cref="HasDatabase"/>).</summary>
    public ReadOnlySequence<byte> Database { get; }

    public bool HasDatabase { get; }

    public ReadOnlySequence<byte> ApplicationName { get; }

    /// <summary>Command-line options for the backend (<c>-c name=value</c> ...), audit-relevant.</summary>
    public ReadOnlySequence<byte> Options { get; }

    /// <summary>Number of <c>_pq_.</c> protocol options requested.</summary>
    public int ProtocolOptionCount { get; }

    /// <summary>All parameters in wire order, including <c>_pq_.</c> options.</summary>
    public StartupParameterEnumerator Parameters => new(_parameters);

    /// <summary>Parses and validates a StartupMessage packet (every string terminated, user present).</summary>
    public static StartupMessage Read(in StartupPacket packet) => Read(packet, requireUser: true);

    /// <summary>
    /// Parses and validates a StartupMessage packet (every string terminated); with <paramref name="requireUser"/>
    /// false a packet without <c>user</c> is accepted (its <see cref="User"/> is empty): Ferry's agent then uses
    /// the certificate route's default db user, where PostgreSQL itself would refuse.
    /// </summary>
    public static StartupMessage Read(in StartupPacket packet, bool requireUser)
    {
        if (packet.Kind != StartupPacketKind.StartupMessage)
        {
            throw new ArgumentException("not a StartupMessage", nameof(packet));
        }

        ReadOnlySequence<byte> list = packet.Payload;
        var reader = new PayloadReader(list, "StartupMessage");
        ReadOnlySequence<byte> user = default, database = default, applicationName = default, options = default;
        bool hasUser = false, hasDatabase = false;
        int protocolOptions = 0;
        while (true)
        {
            ReadOnlySequence<byte> name = reader.ReadCString();
            if (name.IsEmpty)
            {
                break;
            }

            ReadOnlySequence<byte> value = reader.ReadCString();
            var parameter = new StartupParameter(name, value);
            if (parameter.NameEquals("user"u8))
            {
                user = value;
                hasUser = true;
            }
            else if (parameter.NameEquals("database"u8))
            {
                database = value;
                hasDatabase = true;
            }
            else if (parameter.NameEquals("application_name"u8))
            {
                applicationName = value;
            }
            else if (parameter.NameEquals("options"u8))
            {
                options = value;
            }
            else if (parameter.IsProtocolOption)
            {
                protocolOptions++;
            }
        }

        reader.ExpectEnd();
        if (!hasUser && requireUser)
        {
            throw new PostgresProtocolException("no PostgreSQL user name specified in startup packet", "28000");
        }

        return new StartupMessage(packet.MajorVersion, packet.MinorVersion, list, user, database, applicationName,
            options, hasDatabase, protocolOptions);
    }

    /// <summary>Writes a StartupMessage (used by a proxy that rewrites the parameters, and by tests).</summary>
    public static void Write(IBufferWriter<byte> writer, int minorVersion, ReadOnlySpan<KeyValuePair<string, string>> parameters)
    {
        // total = length (4) + version (4) + sum(name\0 value\0) + final 0
        int total = 4 + 4 + 1;
        foreach (KeyValuePair<string, string> p in parameters)
        {
            if (p.Key.Length == 0)
            {
                throw new ArgumentException("a parameter name cannot be empty", nameof(parameters));
            }

            total += WireWriter.CStringLength(p.Key) + WireWriter.CStringLength(p.Value);
        }

        var w = new WireWriter(writer.GetSpan(total));
        w.WriteInt32(total);
        w.WriteInt32((3 << 16) | minorVersion);
        foreach (KeyValuePair<string, string> p in parameters)
        {
            w.WriteCString(p.Key);
            w.WriteCString(p.Value);
        }

        w.WriteByte(0);
        w.AssertFilled(total);
        writer.Advance(total);
    }
}

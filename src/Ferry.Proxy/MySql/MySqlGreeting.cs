using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Ferry.Protocol.MySql.Auth;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Proxy.MySql;

/// <summary>
/// The HandshakeV10 the proxy greets MySQL clients with. MySQL clients wait for the server to speak
/// first, before the proxy knows who they are or which database they want, so the version is the one
/// the agents' heartbeats report for the MySQL databases (the first by name when they differ).
/// </summary>
internal static class MySqlGreeting
{
    /// <summary>Used until an agent has reported a MySQL server version.</summary>
    public const string DefaultServerVersion = "8.0.0-ferry";

    /// <summary>Utf8mb4_general_ci: used until an agent has reported its server's default collation.</summary>
    public const byte CharacterSet = 45;

    /// <summary>
    /// What the proxy offers: features both MySQL 5.7+ and MariaDB 10.2+ have, so that the agent can ask the
    /// real server for exactly what the client chose and relay every later packet unchanged. No compression,
    /// no LOCAL INFILE, no MariaDB extended capabilities (LongPassword set = "this is MySQL").
    /// </summary>
    public const MySqlCapabilities Capabilities =
        MySqlCapabilities.LongPassword | MySqlCapabilities.FoundRows | MySqlCapabilities.LongFlag | MySqlCapabilities.ConnectWithDb
        | MySqlCapabilities.NoSchema | MySqlCapabilities.Odbc | MySqlCapabilities.IgnoreSpace | MySqlCapabilities.Protocol41
        | MySqlCapabilities.Interactive | MySqlCapabilities.Ssl | MySqlCapabilities.IgnoreSigpipe | MySqlCapabilities.Transactions
        | MySqlCapabilities.SecureConnection | MySqlCapabilities.MultiStatements | MySqlCapabilities.MultiResults
        | MySqlCapabilities.PsMultiResults | MySqlCapabilities.PluginAuth | MySqlCapabilities.ConnectAttrs
        | MySqlCapabilities.PluginAuthLenencClientData | MySqlCapabilities.CanHandleExpiredPasswords
        | MySqlCapabilities.SessionTrack | MySqlCapabilities.DeprecateEof;

    public static string ServerVersion(AgentRegistry agents, string? database = null) => Server(agents, database).Version;

    /// <summary>
    /// The version and default collation to greet with: those of <paramref name="database"/> when known (the routed
    /// database of an ALPN connection), else of the first MySQL database an agent reported, else Ferry's defaults.
    /// </summary>
    public static (string Version, byte Collation) Server(AgentRegistry agents, string? database = null)
    {
        (string, byte)? first = null;
        foreach (var db in agents.Databases())
        {
            if (db.Protocol != "mysql" || string.IsNullOrEmpty(db.ServerVersion))
            {
                continue;
            }
            var server = (db.ServerVersion, db.Collation is > 0 and <= byte.MaxValue and var c ? (byte)c : CharacterSet);
            if (database is not null && db.Name == database)
            {
                return server;
            }
            first ??= server;
        }
        return first ?? (DefaultServerVersion, CharacterSet);
    }

    /// <summary>A 20-byte nonce of printable bytes without NUL, as servers send.</summary>
    public static byte[] NewScramble()
    {
        var scramble = new byte[HandshakeV10.ScrambleLength];
        for (var i = 0; i < scramble.Length; i++)
        {
            scramble[i] = (byte)RandomNumberGenerator.GetInt32(0x21, 0x7F);
        }
        return scramble;
    }

    /// <summary>
    /// A connection id for the greeting: random in [2^30, 2^31), far above the thread ids a server hands
    /// out, so the agent can tell a Ferry id in <c>KILL</c> from a real one and map it.
    /// </summary>
    public static uint NewConnectionId() => (uint)RandomNumberGenerator.GetInt32(1 << 30, int.MaxValue);

    public static void Write(IBufferWriter<byte> writer, string serverVersion, uint connectionId, byte[] scramble, bool tlsAlready, byte collation = CharacterSet)
    {
        var caps = tlsAlready ? Capabilities & ~MySqlCapabilities.Ssl : Capabilities;
        HandshakeV10.Write(writer, Encoding.UTF8.GetBytes(serverVersion), connectionId, scramble, caps, collation,
            (ushort)ServerStatus.AutoCommit, Encoding.ASCII.GetBytes(MySqlScramble.NativePasswordPlugin));
    }
}

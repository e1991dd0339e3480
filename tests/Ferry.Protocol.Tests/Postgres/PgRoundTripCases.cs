using System.Buffers;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.Postgres;

/// <summary>One message per case: written by the writer, with the projection the reader must give back.</summary>
public static class PgRoundTripCases
{
    private static readonly byte[] Key4 = [1, 2, 3, 4];
    private static readonly byte[] Key32 = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Key256 = Enumerable.Range(0, 256).Select(i => (byte)(255 - i)).ToArray();

    /// <summary>(name, reader kind, bytes, expected). Reader kinds: F frontend, B backend, S startup, i/s SASL.</summary>
    public static TheoryData<string, char, byte[], string> All => new()
    {
        { "Query", 'F', W(w => Query.Write(w, "SELECT 'é' -- x")), "Query SELECT 'é' -- x" },
        { "Query empty", 'F', W(w => Query.Write(w, "")), "Query " },
        { "Parse", 'F', W(w => Parse.Write(w, "s1"u8, "SELECT $1::int, $2"u8, [23u, 0u])), "Parse name=s1 query=SELECT $1::int, $2 types=[23,0]" },
        { "Parse unnamed", 'F', W(w => Parse.Write(w, ""u8, "BEGIN"u8, [])), "Parse name= query=BEGIN types=[]" },
        {
            "Bind", 'F', W(w => Bind.Write(w, "p"u8, "s1"u8, [1, 0], [[0, 0, 0, 7], null], [1])),
            "Bind portal=p stmt=s1 nf=2 np=2 [0:1:00000007] [1:0:NULL] results=1"
        },
        {
            "Bind one format for all", 'F', W(w => Bind.Write(w, ""u8, ""u8, [1], [[1], [], [2, 3]], [])),
            "Bind portal= stmt= nf=1 np=3 [0:1:01] [1:1:] [2:1:0203] results="
        },
        { "Bind no parameters", 'F', W(w => Bind.Write(w, ""u8, ""u8, [], [], [])), "Bind portal= stmt= nf=0 np=0 results=" },
        { "Describe statement", 'F', W(w => Describe.Write(w, DescribeTarget.Statement, "s1"u8)), "D S s1" },
        { "Describe portal", 'F', W(w => Describe.Write(w, DescribeTarget.Portal, ""u8)), "D P " },
        { "Close", 'F', W(w => Describe.Write(w, DescribeTarget.Statement, "s9"u8, FrontendMessageCode.Close)), "C S s9" },
        { "Execute", 'F', W(w => Execute.Write(w, "p1"u8, 100)), "Execute portal=p1 max=100" },
        {
            "FunctionCall", 'F', W(w => FunctionCall.Write(w, 1598, [0], [[0x31], null], 1)),
            "FunctionCall oid=1598 nf=1 result=1 [0:0:31] [1:0:NULL]"
        },
        { "CopyData", 'F', W(w => CopyData.Write(w, "1\tx\n"u8)), "CopyData 3109780A" },
        { "CopyFail", 'F', W(w => CopyFail.Write(w, "client gave up"u8)), "CopyFail client gave up" },
        { "Sync", 'F', W(w => EmptyMessage.Write(w, (byte)FrontendMessageCode.Sync)), "S" },
        { "Flush", 'F', W(w => EmptyMessage.Write(w, (byte)FrontendMessageCode.Flush)), "H" },
        { "Terminate", 'F', W(w => EmptyMessage.Write(w, (byte)FrontendMessageCode.Terminate)), "X" },
        { "CopyDone", 'F', W(w => EmptyMessage.Write(w, (byte)FrontendMessageCode.CopyDone)), "c" },
        { "PasswordMessage", 'F', W(w => PasswordMessage.Write(w, "md5abc"u8)), "Password md5abc" },
        { "SASLInitialResponse", 'i', W(w => SaslInitialResponse.Write(w, "SCRAM-SHA-256"u8, "n,,n=,r=abc"u8)), "SaslInitial SCRAM-SHA-256 n,,n=,r=abc" },
        { "SASLInitialResponse without data", 'i', W(w => SaslInitialResponse.Write(w, "X"u8, default, hasData: false)), "SaslInitial X none" },
        { "SASLResponse", 's', W(w => SaslResponse.Write(w, "c=biws,r=abc,p=xyz"u8)), "SaslResponse c=biws,r=abc,p=xyz" },
        {
            "StartupMessage 3.0", 'S',
            W(w => StartupMessage.Write(w, 0, [new("user", "alice"), new("database", "app"), new("application_name", "psql"), new("options", "-c search_path=x")])),
            "Startup 3.0 user=alice db=app app=psql options=-c search_path=x pq=0 [user=alice] [database=app] [application_name=psql] [options=-c search_path=x]"
        },
        {
            "StartupMessage 3.2 with _pq_ option", 'S',
            W(w => StartupMessage.Write(w, 2, [new("user", "bob"), new("_pq_.test", "on")])),
            "Startup 3.2 user=bob db=- app= options= pq=1 [user=bob] [_pq_.test=on*]"
        },
        { "SSLRequest", 'S', EncryptionRequest.SslRequest.ToArray(), "SslRequest" },
        { "GSSENCRequest", 'S', EncryptionRequest.GssEncRequest.ToArray(), "GssEncRequest" },
        { "CancelRequest 3.0", 'S', W(w => CancelRequest.Write(w, 4242, Key4)), "Cancel pid=4242 key=01020304" },
        { "CancelRequest 3.2", 'S', W(w => CancelRequest.Write(w, -7, Key256)), $"Cancel pid=-7 key={Convert.ToHexString(Key256)}" },
        { "AuthenticationOk", 'B', W(Authentication.WriteOk), "Auth Ok " },
        { "AuthenticationMD5", 'B', W(w => Authentication.Write(w, AuthenticationCode.Md5Password, [9, 8, 7, 6])), "Auth Md5Password 09080706" },
        { "AuthenticationSASL", 'B', W(w => Authentication.Write(w, AuthenticationCode.Sasl, "SCRAM-SHA-256\0\0"u8)), "Auth Sasl 534352414D2D5348412D3235360000" },
        { "BackendKeyData 3.0", 'B', W(w => BackendKeyData.Write(w, 77, Key4)), "Key pid=77 key=01020304" },
        { "BackendKeyData 3.2", 'B', W(w => BackendKeyData.Write(w, 78, Key32)), $"Key pid=78 key={Convert.ToHexString(Key32)}" },
        { "ParameterStatus", 'B', W(w => ParameterStatus.Write(w, "server_version", "17.2")), "Param server_version=17.2" },
        { "ReadyForQuery idle", 'B', W(w => ReadyForQuery.Write(w, TransactionStatus.Idle)), "Ready Idle" },
        { "ReadyForQuery failed", 'B', W(w => ReadyForQuery.Write(w, TransactionStatus.Failed)), "Ready Failed" },
        {
            "ErrorResponse", 'B', W(w => ErrorResponse.Write(w, "FATAL", "28000", "access denied", "role developer", "run ferry login")),
            "Error FATAL 28000 access denied detail=role developer hint=run ferry login S V C M D H"
        },
        { "NoticeResponse", 'B', W(w => ErrorResponse.Write(w, "NOTICE", "00000", "hi", notice: true)), "Notice NOTICE 00000 hi detail= hint= S V C M" },
        { "CommandComplete", 'B', W(w => CommandComplete.Write(w, "INSERT 0 1"u8)), "Complete INSERT 0 1" },
        { "DataRow", 'B', W(w => DataRow.Write(w, [[0x41], null, []])), "Row 3 41 NULL " },
        { "CopyInResponse", 'B', W(w => CopyResponse.Write(w, BackendMessageCode.CopyInResponse, 0, [0, 0])), "Copy CopyInResponse 0 2" },
        { "NotificationResponse", 'B', W(w => NotificationResponse.Write(w, 12, "chan"u8, "payload"u8)), "Notify 12 chan payload" },
        { "NegotiateProtocolVersion", 'B', W(w => NegotiateProtocolVersion.Write(w, 0, ["_pq_.a", "_pq_.b"])), "Negotiate 0 2 _pq_.a|_pq_.b|" },
        { "ParameterDescription", 'B', W(w => ParameterDescription.Write(w, [23u, 25u])), "ParameterDescription 2" },
        { "ParseComplete", 'B', W(w => EmptyMessage.Write(w, (byte)BackendMessageCode.ParseComplete)), "1" },
        { "PortalSuspended", 'B', W(w => EmptyMessage.Write(w, (byte)BackendMessageCode.PortalSuspended)), "s" },
    };

    internal static ProjectingReader ReaderFor(char kind) => kind switch
    {
        'F' => PgProject.FrontendReader(),
        'B' => PgProject.BackendReader(),
        'S' => PgProject.StartupReader(),
        'i' => PgProject.FrontendReader(password: 'i'),
        's' => PgProject.FrontendReader(password: 's'),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static byte[] W(Action<IBufferWriter<byte>> write) => Text.Write(write);
}

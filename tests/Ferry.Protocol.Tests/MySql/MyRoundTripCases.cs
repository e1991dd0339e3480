using System.Buffers;
using System.Buffers.Binary;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.MySql;

public static class MyRoundTripCases
{
    internal static readonly byte[] Scramble = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();
    private static readonly uint ModernCaps = (uint)MyProject.Modern;
    private const MySqlCapabilities Old41 = MySqlCapabilities.Protocol41 | MySqlCapabilities.SecureConnection | MySqlCapabilities.LongPassword;

    /// <summary>(name, reader kind, bytes, expected); kinds as in <see cref="MyProject.Project"/>.</summary>
    public static TheoryData<string, char, byte[], string> All => new()
    {
        {
            "HandshakeV10 MySQL", 'H',
            W(w => HandshakeV10.Write(w, "8.0.36-ferry"u8, 7, Scramble, MyProject.Modern, 45, 2, "caching_sha2_password"u8)),
            $"#0 Handshake 8.0.36-ferry conn=7 scramble={Convert.ToHexString(Scramble)} caps={ModernCaps:x8} cs=45 status=2 mariadb=0 plugin=caching_sha2_password"
        },
        {
            "HandshakeV10 MariaDB extended capabilities", 'H',
            W(w => HandshakeV10.Write(w, "5.5.5-10.11.19-MariaDB"u8, 9, Scramble, MyProject.Modern, 8, 0, "mysql_native_password"u8, 0x1d)),
            $"#0 Handshake 5.5.5-10.11.19-MariaDB conn=9 scramble={Convert.ToHexString(Scramble)} caps={ModernCaps:x8} cs=8 status=0 mariadb=1d plugin=mysql_native_password"
        },
        {
            "SSLRequest", 'R', W(w => SslRequest.Write(w, 1, MyProject.Modern, 16_777_216, 45)),
            $"#1 SslRequest caps={ModernCaps | (uint)MySqlCapabilities.Ssl:x8} max=16777216 cs=45 mariadb=0"
        },
        {
            "HandshakeResponse41 with schema and attributes", 'R',
            W(w => HandshakeResponse41.Write(w, 2, MyProject.Modern | MySqlCapabilities.ConnectWithDb, 1 << 24, 45, "alice"u8, Scramble, "app"u8,
                "caching_sha2_password"u8, [new("_client_name", "libmysql"), new("program_name", "mysql")])),
            $"#2 Response caps={ModernCaps | (uint)MySqlCapabilities.ConnectWithDb:x8} max=16777216 cs=45 user=alice auth={Convert.ToHexString(Scramble)} schema=app plugin=caching_sha2_password [_client_name=libmysql] [program_name=mysql]"
        },
        {
            "HandshakeResponse41 minimal 4.1", 'R',
            W(w => HandshakeResponse41.Write(w, 1, Old41, 0, 8, "root"u8, [], default, default, [])),
            $"#1 Response caps={(uint)Old41:x8} max=0 cs=8 user=root auth= schema=- plugin="
        },
        { "AuthSwitchRequest", 'A', W(w => AuthSwitchRequest.Write(w, 2, "mysql_native_password"u8, [.. Scramble, 0])), $"#2 AuthSwitch mysql_native_password {Convert.ToHexString(Scramble)}00" },
        { "AuthMoreData fast auth ok", 'M', W(w => AuthMoreData.Write(w, 4, [3])), "#4 MoreData 03" },
        { "OK 4.1 with session tracking", 'O', W(w => OkPacket.Write(w, 2, MyProject.Modern, 300, 70_000, ServerStatus.AutoCommit, 1, "Rows matched: 1"u8)), "#2 OK h=0 rows=300 id=70000 status=2 warnings=1 info=Rows matched: 1 session=" },
        { "OK ending a result set", 'O', W(w => OkPacket.Write(w, 5, MyProject.Modern, 0, 0, ServerStatus.AutoCommit, 0, header: 0xFE)), "#5 OK h=254 rows=0 id=0 status=2 warnings=0 info= session=" },
        { "ERR 4.1", 'E', W(w => ErrPacket.Write(w, 1, MyProject.Modern, 1045, "28000", "Access denied for user 'x'")), "#1 ERR 1045 [28000] Access denied for user 'x'" },
        { "ERR pre-4.1", 'E', W(w => ErrPacket.Write(w, 0, MySqlCapabilities.None, 1040, "08004", "Too many connections")), "#0 ERR 1040 [] Too many connections" },
        { "EOF", 'F', W(w => EofPacket.Write(w, 3, Old41, 0, ServerStatus.AutoCommit | ServerStatus.MoreResultsExist)), "#3 EOF warnings=0 status=10" },
        { "COM_STMT_PREPARE_OK", 'P', W(w => StmtPrepareOk.Write(w, 1, 42, 3, 2, 0)), "#1 PrepareOk id=42 columns=3 params=2 warnings=0" },
        { "COM_QUERY", 'C', W(w => ComQuery.Write(w, "SELECT 'ü'"u8)), "#0 Query attrs=0 SELECT 'ü'" },
        { "COM_INIT_DB", 'C', W(w => ComText.Write(w, CommandCode.InitDb, "sbtest"u8)), "#0 InitDb sbtest" },
        { "COM_STMT_PREPARE", 'C', W(w => ComText.Write(w, CommandCode.StmtPrepare, "SELECT c FROM t WHERE id=?"u8)), "#0 Prepare SELECT c FROM t WHERE id=?" },
        { "COM_STMT_CLOSE", 'C', W(w => ComStatement.Write(w, CommandCode.StmtClose, 42)), "#0 StmtClose id=42 rows=0 param=0 data=" },
        { "COM_STMT_RESET", 'C', W(w => ComStatement.Write(w, CommandCode.StmtReset, 43)), "#0 StmtReset id=43 rows=0 param=0 data=" },
        { "COM_STMT_FETCH", 'C', W(w => ComStatement.Write(w, CommandCode.StmtFetch, 44, rowCount: 100)), "#0 StmtFetch id=44 rows=100 param=0 data=" },
        { "COM_STMT_SEND_LONG_DATA", 'C', W(w => ComStatement.Write(w, CommandCode.StmtSendLongData, 45, parameterId: 1, data: [0xCA, 0xFE])), "#0 StmtSendLongData id=45 rows=0 param=1 data=CAFE" },
        { "COM_PROCESS_KILL", 'C', W(w => ComStatement.Write(w, CommandCode.ProcessKill, 99)), "#0 ProcessKill id=99 rows=0 param=0 data=" },
        { "COM_CHANGE_USER", 'C', W(w => ComChangeUser.Write(w, "bob"u8, Scramble, "db"u8, 45, "mysql_native_password"u8)), $"#0 ChangeUser user=bob auth={Convert.ToHexString(Scramble)} schema=db cs=45 plugin=mysql_native_password" },
        { "COM_FIELD_LIST", 'C', W(w => ComFieldList.Write(w, "t1"u8, "c%"u8)), "#0 FieldList t1 c%" },
        { "COM_PING", 'C', W(w => MySqlCommand.WriteEmpty(w, CommandCode.Ping)), "#0 Ping" },
        { "COM_QUIT", 'C', W(w => MySqlCommand.WriteEmpty(w, CommandCode.Quit)), "#0 Quit" },
        { "COM_STATISTICS", 'C', W(w => MySqlCommand.WriteEmpty(w, CommandCode.Statistics)), "#0 Statistics" },
        { "COM_RESET_CONNECTION", 'C', W(w => MySqlCommand.WriteEmpty(w, CommandCode.ResetConnection)), "#0 ResetConnection" },
        {
            "COM_STMT_EXECUTE with types", 'X', W(w => ComStmtExecute.Write(w, 7, 0, ExecuteTypes, ExecuteValues, sendTypes: true)),
            "#0 Execute id=7 flags=0 iter=1 n=9 bound=True [Long:-5] [LongLongu:18446744073709551615] [VarString:'it''s'] [Null:NULL] [Double:2.5] [DateTime:'2024-02-29 13:05:09.000123'] [Blob:X'00FF'] [Time:'-49:02:03'] [Date:'2026-11-23']"
        },
        {
            "COM_STMT_EXECUTE with remembered types", 'Y', W(w => ComStmtExecute.Write(w, 8, 0, ExecuteTypes, ExecuteValues, sendTypes: false)),
            "#0 Execute id=8 flags=0 iter=1 n=9 bound=False [Long:-5] [LongLongu:18446744073709551615] [VarString:'it''s'] [Null:NULL] [Double:2.5] [DateTime:'2024-02-29 13:05:09.000123'] [Blob:X'00FF'] [Time:'-49:02:03'] [Date:'2026-11-23']"
        },
        { "COM_STMT_EXECUTE without parameters", 'C', W(w => ComStmtExecute.Write(w, 9, 1, [], [], sendTypes: true)), "#0 Execute id=9 flags=1 iter=1 n=0 bound=False" },
    };

    internal static readonly MySqlParameterType[] ExecuteTypes =
    [
        new(MySqlColumnType.Long, false), new(MySqlColumnType.LongLong, true), new(MySqlColumnType.VarString, false),
        new(MySqlColumnType.Null, false), new(MySqlColumnType.Double, false), new(MySqlColumnType.DateTime, false),
        new(MySqlColumnType.Blob, false), new(MySqlColumnType.Time, false), new(MySqlColumnType.Date, false),
    ];

    internal static readonly byte[]?[] ExecuteValues =
    [
        Le32(-5), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "it's"u8.ToArray(), null, LeDouble(2.5),
        [0xE8, 0x07, 2, 29, 13, 5, 9, 123, 0, 0, 0], [0x00, 0xFF], [1, 2, 0, 0, 0, 1, 2, 3], [0xEA, 0x07, 11, 23],
    ];

    internal static ProjectingReader ReaderFor(char kind) => kind switch
    {
        'X' => MyProject.Reader('C', parameterCount: ExecuteTypes.Length),
        'Y' => MyProject.Reader('C', knownTypes: ExecuteTypes, parameterCount: ExecuteTypes.Length),
        'F' => MyProject.Reader('F', caps: Old41),
        'E' => MyProject.Reader('E'),
        _ => MyProject.Reader(kind),
    };

    private static byte[] Le32(int value)
    {
        byte[] b = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, value);
        return b;
    }

    private static byte[] LeDouble(double value)
    {
        byte[] b = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(b, value);
        return b;
    }

    private static byte[] W(Action<IBufferWriter<byte>> write) => Text.Write(write);
}

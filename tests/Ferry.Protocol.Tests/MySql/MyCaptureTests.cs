using System.Buffers;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.MySql;

/// <summary>Every packet of the recorded MariaDB sessions, both directions.</summary>
public sealed class MyCaptureTests
{
    [Theory]
    [InlineData("sysbench-oltp-rw", "sb", "sbtest", "Quit=1 StmtPrepare=20 StmtExecute=6000 StmtClose=20")]
    [InlineData("mysql-cli-mixed", "sb", "sbtest", "Quit=1 InitDb=1 Query=10")]
    public void ClientStream_DecodesHandshakeResponseAndEveryCommand(string capture, string user, string schema, string expectedCounts)
    {
        byte[] stream = CaptureFiles.Load(capture + ".client.bin");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(stream));
        Assert.Equal(OperationStatus.Done, MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.MaxPreAuthPayloadLength, out MySqlMessage first));
        Assert.True(first.TryGetPayload(out ReadOnlySequence<byte> payload));
        Assert.False(SslRequest.IsSslRequest(payload));
        HandshakeResponse41 response = HandshakeResponse41.Read(payload);
        Assert.Equal(user, Text.Of(response.User));
        Assert.Equal(schema, Text.Of(response.Schema));
        Assert.Equal("mysql_native_password", Text.Of(response.AuthPluginName));
        Assert.Equal(20, response.AuthResponse.Length);
        var attributes = new Dictionary<string, string>();
        foreach (ConnectAttribute a in response.ConnectAttributes)
        {
            attributes[Text.Of(a.Key)] = Text.Of(a.Value);
        }

        Assert.Equal("libmariadb", attributes["_client_name"]);

        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var types = new Dictionary<uint, MySqlParameterType[]>();
        Dictionary<uint, int> parameterCounts = capture == "sysbench-oltp-rw" ? PreparedParameterCounts() : [];
        while (MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.DefaultMaxMessageLength, out MySqlMessage message) == OperationStatus.Done)
        {
            Assert.Equal(0, message.FirstSequenceId);
            Assert.True(message.TryGetPayload(out ReadOnlySequence<byte> command));
            CommandCode code = MySqlCommand.Read(command).Code;
            counts[code.ToString()] = counts.GetValueOrDefault(code.ToString()) + 1;
            if (code == CommandCode.StmtExecute)
            {
                uint id = ComStmtExecute.PeekStatementId(command);
                int n = parameterCounts[id];
                types.TryGetValue(id, out MySqlParameterType[]? known);
                ComStmtExecute execute = ComStmtExecute.Read(command, n, known, response.Capabilities);
                if (execute.NewParamsBound)
                {
                    var bound = new MySqlParameterType[n];
                    execute.CopyBoundTypesTo(bound);
                    types[id] = bound;
                }
            }
            else
            {
                MyProject.Command(command, response.Capabilities, [], 0);
            }
        }

        Assert.True(reader.End, $"stopped {reader.Remaining} bytes before the end");
        Assert.Equal(expectedCounts, string.Join(' ', counts.OrderBy(c => (byte)Enum.Parse<CommandCode>(c.Key)).Select(c => $"{c.Key}={c.Value}")));
    }

    [Fact]
    public void SysbenchExecutes_DecodeToReadableAuditParameters()
    {
        byte[] stream = CaptureFiles.Load("sysbench-oltp-rw.client.bin");
        Dictionary<uint, int> parameterCounts = PreparedParameterCounts();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(stream));
        MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.MaxPreAuthPayloadLength, out _);
        var rendered = new List<string>();
        var types = new Dictionary<uint, MySqlParameterType[]>();
        int parameters = 0;
        while (MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.DefaultMaxMessageLength, out MySqlMessage message) == OperationStatus.Done)
        {
            message.TryGetPayload(out ReadOnlySequence<byte> command);
            if (MySqlCommand.Read(command).Code != CommandCode.StmtExecute)
            {
                continue;
            }

            uint id = ComStmtExecute.PeekStatementId(command);
            types.TryGetValue(id, out MySqlParameterType[]? known);
            string text = MyProject.Execute(command, MySqlCapabilities.None, known, parameterCounts[id], 0);
            ComStmtExecute execute = ComStmtExecute.Read(command, parameterCounts[id], known);
            if (execute.NewParamsBound)
            {
                types[id] = new MySqlParameterType[execute.ParameterCount];
                execute.CopyBoundTypesTo(types[id]);
            }

            parameters += execute.ParameterCount;
            rendered.Add(text);
        }

        Assert.Equal(6000, rendered.Count);
        Assert.True(parameters > 6000, $"{parameters} parameters");
        // Point selects bind one BIGINT id; range selects two; inserts bind ids and quoted strings.
        Assert.Contains(rendered, r => System.Text.RegularExpressions.Regex.IsMatch(r, @"n=1 bound=\w+ \[LongLong:\d+\]$"));
        Assert.Contains(rendered, r => System.Text.RegularExpressions.Regex.IsMatch(r, @"n=2 bound=\w+ \[LongLong:\d+\] \[LongLong:\d+\]$"));
        Assert.Contains(rendered, r => System.Text.RegularExpressions.Regex.IsMatch(r, @"\[(String|VarString):'[0-9-]+'\]"));
    }

    [Theory]
    [InlineData("sysbench-oltp-rw", 0)]
    [InlineData("mysql-cli-mixed", 1)]
    public void ServerStream_HandshakeAndEveryPacket_Decode(string capture, int expectedErrors)
    {
        byte[] stream = CaptureFiles.Load(capture + ".server.bin");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(stream));
        Assert.Equal(OperationStatus.Done, MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.MaxPreAuthPayloadLength, out MySqlMessage first));
        first.TryGetPayload(out ReadOnlySequence<byte> greeting);
        HandshakeV10 handshake = HandshakeV10.Read(greeting);
        Assert.Equal("5.5.5-10.11.19-MariaDB-0+deb12u1", Text.Of(handshake.ServerVersion));
        Assert.Equal(20, handshake.ScrambleByteCount);
        Assert.Equal("mysql_native_password", Text.Of(handshake.AuthPluginName));

        int errors = 0, packets = 0;
        while (MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.DefaultMaxMessageLength, out MySqlMessage message) == OperationStatus.Done)
        {
            packets++;
            Assert.True(message.TryGetPayload(out ReadOnlySequence<byte> payload));
            switch (Response.Classify(payload))
            {
                case ResponseKind.Err:
                    ErrPacket err = ErrPacket.Read(payload);
                    Assert.Equal(5, err.SqlState.Length);
                    errors++;
                    break;
                case ResponseKind.Ok when message.FirstSequenceId == 2 && packets == 1:
                    OkPacket.Read(payload, MyProject.Modern); // the authentication OK
                    break;
                default:
                    break;
            }
        }

        Assert.True(reader.End, $"stopped {reader.Remaining} bytes before the end");
        Assert.Equal(expectedErrors, errors);
    }

    /// <summary>Statement id to parameter count, from the COM_STMT_PREPARE_OK packets of the server stream.</summary>
    internal static Dictionary<uint, int> PreparedParameterCounts()
    {
        byte[] server = CaptureFiles.Load("sysbench-oltp-rw.server.bin");
        byte[] client = CaptureFiles.Load("sysbench-oltp-rw.client.bin");
        int prepares = 0;
        var clientReader = new SequenceReader<byte>(new ReadOnlySequence<byte>(client));
        while (MySqlPacketReader.TryReadMessage(ref clientReader, int.MaxValue, out MySqlMessage m) == OperationStatus.Done)
        {
            m.TryGetPayload(out ReadOnlySequence<byte> p);
            if (m.FirstSequenceId == 0 && MySqlCommand.Read(p).Code == CommandCode.StmtPrepare)
            {
                prepares++;
            }
        }

        // A prepare answer is the only 12-byte packet with sequence id 1 that starts 0x00 and has a 0x00 filler at 9.
        var counts = new Dictionary<uint, int>();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(server));
        while (MySqlPacketReader.TryReadMessage(ref reader, int.MaxValue, out MySqlMessage m) == OperationStatus.Done)
        {
            m.TryGetPayload(out ReadOnlySequence<byte> p);
            byte[] bytes = p.ToArray();
            if (m.FirstSequenceId == 1 && bytes.Length == StmtPrepareOk.PayloadLength && bytes[0] == 0 && bytes[9] == 0)
            {
                StmtPrepareOk ok = StmtPrepareOk.Read(p);
                counts[ok.StatementId] = ok.ParameterCount;
            }
        }

        Assert.Equal(prepares, counts.Count);
        return counts;
    }
}

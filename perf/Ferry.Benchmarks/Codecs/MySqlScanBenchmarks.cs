using System.Buffers;
using BenchmarkDotNet.Attributes;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Benchmarks.Codecs;

/// <summary>
/// Scans the sysbench oltp_read_write session (server-side prepared statements, MariaDB) packet by packet.
/// One operation = the whole recorded stream of one direction.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class MySqlScanBenchmarks
{
    private readonly Dictionary<uint, int> _parameterCounts = [];
    private readonly Dictionary<uint, MySqlParameterType[]> _types = [];
    private readonly ArrayBufferWriter<byte> _rendered = new(4096);
    private ReadOnlySequence<byte> _client;
    private ReadOnlySequence<byte> _client4K;
    private ReadOnlySequence<byte> _server;

    [GlobalSetup]
    public void Setup()
    {
        byte[] client = CodecCaptures.Load("sysbench-oltp-rw.client.bin");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(client));
        MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.MaxPreAuthPayloadLength, out _); // HandshakeResponse41
        byte[] body = client.AsSpan((int)reader.Consumed).ToArray();
        _client = new ReadOnlySequence<byte>(body);
        _client4K = CodecCaptures.Segmented(body, 4096);
        byte[] server = CodecCaptures.Load("sysbench-oltp-rw.server.bin");
        _server = new ReadOnlySequence<byte>(server);

        // Statement id -> parameter count from the server's COM_STMT_PREPARE_OK packets.
        var s = new SequenceReader<byte>(_server);
        while (MySqlPacketReader.TryReadMessage(ref s, int.MaxValue, out MySqlMessage m) == OperationStatus.Done)
        {
            m.TryGetPayload(out ReadOnlySequence<byte> p);
            if (m.FirstSequenceId == 1 && p.Length == StmtPrepareOk.PayloadLength && p.FirstSpan[0] == 0 && p.Slice(9, 1).FirstSpan[0] == 0)
            {
                StmtPrepareOk ok = StmtPrepareOk.Read(p);
                _parameterCounts[ok.StatementId] = ok.ParameterCount;
                _types[ok.StatementId] = new MySqlParameterType[ok.ParameterCount];
            }
        }

        Console.WriteLine($"// bytes/op client={_client.Length} server={_server.Length}");
    }

    [Benchmark(Description = "MySQL client: packets (length, seq, raw slice)")]
    public long ClientPackets() => Packets(_client);

    [Benchmark(Description = "MySQL client: packets, 4 KiB segments")]
    public long ClientPacketsSegmented() => Packets(_client4K);

    [Benchmark(Description = "MySQL client: packets + audit fields (SQL, decoded parameters)")]
    public long ClientAudit() => Audit(_client, render: false);

    [Benchmark(Description = "MySQL client: audit + parameters rendered as SQL literals")]
    public long ClientAuditRendered() => Audit(_client, render: true);

    [Benchmark(Description = "MySQL server: packets (length, seq, raw slice)")]
    public long ServerPackets() => Packets(_server);

    private static long Packets(ReadOnlySequence<byte> stream)
    {
        var reader = new SequenceReader<byte>(stream);
        long sum = 0;
        while (MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.DefaultMaxMessageLength, out MySqlMessage message) == OperationStatus.Done)
        {
            sum += message.FirstSequenceId;
        }

        return sum;
    }

    private long Audit(ReadOnlySequence<byte> stream, bool render)
    {
        var reader = new SequenceReader<byte>(stream);
        long sum = 0;
        while (MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.DefaultMaxMessageLength, out MySqlMessage message) == OperationStatus.Done)
        {
            message.TryGetPayload(out ReadOnlySequence<byte> payload);
            MySqlCommand command = MySqlCommand.Read(payload);
            switch (command.Code)
            {
                case CommandCode.Query:
                    sum += ComQuery.Read(payload).Text.Length;
                    break;
                case CommandCode.StmtPrepare:
                    sum += ComText.ReadStmtPrepare(payload).Length;
                    break;
                case CommandCode.StmtExecute:
                    uint id = ComStmtExecute.PeekStatementId(payload);
                    MySqlParameterType[] types = _types[id];
                    ComStmtExecute execute = ComStmtExecute.Read(payload, _parameterCounts[id], types);
                    execute.CopyBoundTypesTo(types);
                    foreach (MySqlBinaryValue value in execute.Parameters)
                    {
                        sum += value.Raw.Length;
                        if (render)
                        {
                            _rendered.Clear();
                            value.FormatTo(_rendered);
                            sum += _rendered.WrittenCount;
                        }
                    }

                    break;
                default:
                    sum++;
                    break;
            }
        }

        return sum;
    }
}

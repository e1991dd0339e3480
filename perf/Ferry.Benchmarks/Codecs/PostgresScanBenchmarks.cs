using System.Buffers;
using BenchmarkDotNet.Attributes;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;

namespace Ferry.Benchmarks.Codecs;

/// <summary>
/// Scans the pgbench extended-protocol session (2,000 TPC-B transactions) frame by frame. One operation = the
/// whole recorded stream of one direction; bytes/op is printed at setup for the GB/s figure.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class PostgresScanBenchmarks
{
    private ReadOnlySequence<byte> _client;
    private ReadOnlySequence<byte> _client4K;
    private ReadOnlySequence<byte> _server;

    [GlobalSetup]
    public void Setup()
    {
        byte[] client = CodecCaptures.Load("pgbench-extended.client.bin");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(client));
        StartupPacketReader.TryRead(ref reader, out _); // SSLRequest
        StartupPacketReader.TryRead(ref reader, out _); // StartupMessage
        byte[] body = client.AsSpan((int)reader.Consumed).ToArray();
        _client = new ReadOnlySequence<byte>(body);
        _client4K = CodecCaptures.Segmented(body, 4096);
        byte[] server = CodecCaptures.Load("pgbench-extended.server.bin");
        _server = new ReadOnlySequence<byte>(server, 1, server.Length - 1); // after the 'N' answer
        Console.WriteLine($"// bytes/op client={_client.Length} server={_server.Length}");
    }

    [Benchmark(Description = "PG client: header skip (type+length)")]
    public int ClientSkipHeaders()
    {
        var reader = new SequenceReader<byte>(_client);
        int frames = 0;
        while (PostgresFrameReader.TrySkip(ref reader, PostgresLimits.DefaultMaxMessageLength, out _, out _) == OperationStatus.Done)
        {
            frames++;
        }

        return frames;
    }

    [Benchmark(Description = "PG client: frames (type, length, raw slice)")]
    public long ClientFrames()
    {
        var reader = new SequenceReader<byte>(_client);
        long sum = 0;
        while (PostgresFrameReader.TryRead(ref reader, PostgresLimits.DefaultMaxMessageLength, out PostgresFrame frame) == OperationStatus.Done)
        {
            sum += frame.Code;
        }

        return sum;
    }

    [Benchmark(Description = "PG client: frames, 4 KiB segments")]
    public long ClientFramesSegmented()
    {
        var reader = new SequenceReader<byte>(_client4K);
        long sum = 0;
        while (PostgresFrameReader.TryRead(ref reader, PostgresLimits.DefaultMaxMessageLength, out PostgresFrame frame) == OperationStatus.Done)
        {
            sum += frame.Code;
        }

        return sum;
    }

    [Benchmark(Description = "PG client: frames + audit fields")]
    public long ClientAudit() => Audit(_client);

    [Benchmark(Description = "PG client: frames + audit fields, 4 KiB segments")]
    public long ClientAuditSegmented() => Audit(_client4K);

    [Benchmark(Description = "PG server: frames (type, length, raw slice)")]
    public long ServerFrames()
    {
        var reader = new SequenceReader<byte>(_server);
        long sum = 0;
        while (PostgresFrameReader.TryRead(ref reader, PostgresLimits.DefaultMaxMessageLength, out PostgresFrame frame) == OperationStatus.Done)
        {
            sum += frame.Code;
        }

        return sum;
    }

    /// <summary>What the agent's audit reads: Parse (name, SQL), Bind (portal, statement, every value), Execute, Query.</summary>
    private static long Audit(ReadOnlySequence<byte> stream)
    {
        var reader = new SequenceReader<byte>(stream);
        long sum = 0;
        while (PostgresFrameReader.TryRead(ref reader, PostgresLimits.DefaultMaxMessageLength, out PostgresFrame frame) == OperationStatus.Done)
        {
            switch ((FrontendMessageCode)frame.Code)
            {
                case FrontendMessageCode.Parse:
                    Parse parse = Parse.Read(frame);
                    sum += parse.StatementName.Length + parse.QueryText.Length;
                    break;
                case FrontendMessageCode.Bind:
                    Bind bind = Bind.Read(frame);
                    sum += bind.Portal.Length + bind.Statement.Length;
                    foreach (ParameterValue value in bind.Parameters)
                    {
                        sum += value.Value.Length + value.FormatCode;
                    }

                    break;
                case FrontendMessageCode.Execute:
                    sum += Execute.Read(frame).Portal.Length;
                    break;
                case FrontendMessageCode.Query:
                    sum += Query.Read(frame).Text.Length;
                    break;
                default:
                    sum++;
                    break;
            }
        }

        return sum;
    }
}

using System.Buffers;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.Postgres;

/// <summary>Every frame of the recorded sessions, both directions, decoded with the typed readers.</summary>
public sealed class PgCaptureTests
{
    [Theory]
    [InlineData("pgbench-extended", "P=14000 B=14000 D=14000 E=14000 S=14000 X=1", "Startup 3.0 user=postgres db=postgres app=pgbench")]
    [InlineData("pgbench-simple-tpcb", "Q=7000 X=1", "Startup 3.0 user=postgres db=postgres app=pgbench")]
    [InlineData("psql-mixed", "Q=12 d=24 c=1 X=1", "Startup 3.0 user=postgres db=postgres app=psql")]
    public void ClientStream_DecodesEveryFrame_WithExpectedCounts(string capture, string expectedCounts, string expectedStartup)
    {
        byte[] stream = CaptureFiles.Load(capture + ".client.bin");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(stream));

        // The client opens with SSLRequest (answered 'N'), then the StartupMessage, which has no type byte.
        Assert.Equal(OperationStatus.Done, StartupPacketReader.TryRead(ref reader, out StartupPacket ssl));
        Assert.Equal(StartupPacketKind.SslRequest, ssl.Kind);
        Assert.Equal(OperationStatus.Done, StartupPacketReader.TryRead(ref reader, out StartupPacket startup));
        Assert.StartsWith(expectedStartup, PgProject.Startup(startup), StringComparison.Ordinal);

        var counts = new SortedDictionary<char, int>();
        while (PostgresFrameReader.TryRead(ref reader, PostgresLimits.DefaultMaxMessageLength, out PostgresFrame frame) == OperationStatus.Done)
        {
            PgProject.Frontend(frame);
            counts[(char)frame.Code] = counts.GetValueOrDefault((char)frame.Code) + 1;
        }

        Assert.True(reader.End, $"stopped {reader.Remaining} bytes before the end");
        Assert.Equal(Canonical(expectedCounts), string.Join(' ', counts.Select(c => $"{c.Key}={c.Value}")));
    }

    [Theory]
    [InlineData("pgbench-extended", "1=14000 2=14000 C=14000 D=2000 K=1 R=1 S=13 T=2000 Z=14001 n=12000")]
    [InlineData("pgbench-simple-tpcb", "C=7000 D=1000 K=1 R=1 S=13 T=1000 Z=7001")]
    [InlineData("psql-mixed", "A=1 C=11 D=12 E=1 G=1 H=1 K=1 N=1 R=1 S=13 T=3 Z=13 c=1 d=20000")]
    public void ServerStream_DecodesEveryFrame_WithExpectedCounts(string capture, string expectedCounts)
    {
        byte[] stream = CaptureFiles.Load(capture + ".server.bin");
        Assert.Equal((byte)'N', stream[0]); // the one-byte answer to SSLRequest
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(stream, 1, stream.Length - 1));
        var counts = new SortedDictionary<char, int>(Comparer<char>.Create((a, b) => a.CompareTo(b)));
        while (PostgresFrameReader.TryRead(ref reader, PostgresLimits.DefaultMaxMessageLength, out PostgresFrame frame) == OperationStatus.Done)
        {
            PgProject.Backend(frame);
            counts[(char)frame.Code] = counts.GetValueOrDefault((char)frame.Code) + 1;
        }

        Assert.True(reader.End, $"stopped {reader.Remaining} bytes before the end");
        Assert.Equal(Canonical(expectedCounts), string.Join(' ', counts.Select(c => $"{c.Key}={c.Value}")));
    }

    [Fact]
    public void PsqlSession_ErrorAndNotice_CarryTheirSqlStates()
    {
        byte[] stream = CaptureFiles.Load("psql-mixed.server.bin");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(stream, 1, stream.Length - 1));
        var found = new List<string>();
        while (PostgresFrameReader.TryRead(ref reader, PostgresLimits.DefaultMaxMessageLength, out PostgresFrame frame) == OperationStatus.Done)
        {
            if (frame.Code is (byte)'E' or (byte)'N')
            {
                found.Add(PgProject.Backend(frame));
            }
        }

        Assert.Contains(found, f => f.StartsWith("Error ERROR 22012 division by zero", StringComparison.Ordinal));
        Assert.Contains(found, f => f.StartsWith("Notice NOTICE", StringComparison.Ordinal));
    }

    [Fact]
    public void PgbenchExtended_AuditFields_AreTheTpcbStatements()
    {
        byte[] stream = CaptureFiles.Load("pgbench-extended.client.bin");
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(stream, 8, stream.Length - 8));
        StartupPacketReader.TryRead(ref reader, out _);
        var queries = new HashSet<string>();
        int boundParameters = 0;
        while (PostgresFrameReader.TryRead(ref reader, PostgresLimits.DefaultMaxMessageLength, out PostgresFrame frame) == OperationStatus.Done)
        {
            if (frame.Code == (byte)FrontendMessageCode.Parse)
            {
                queries.Add(Text.Of(Parse.Read(frame).QueryText));
            }
            else if (frame.Code == (byte)FrontendMessageCode.Bind)
            {
                boundParameters += Bind.Read(frame).ParameterCount;
            }
        }

        Assert.Equal(7, queries.Count);
        Assert.Contains("UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;", queries);
        Assert.Equal(2000 * (2 + 1 + 2 + 2 + 4), boundParameters); // accounts, select, tellers, branches, history
    }

    private static string Canonical(string counts) =>
        string.Join(' ', counts.Split(' ').OrderBy(c => c[0]));
}

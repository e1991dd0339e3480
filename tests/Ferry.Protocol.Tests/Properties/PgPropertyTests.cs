using System.Buffers;
using CsCheck;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;
using Ferry.Protocol.Postgres.Startup;
using Ferry.Protocol.Tests.Postgres;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.Properties;

public sealed class PgPropertyTests
{
    private static readonly Gen<byte[]> CString = Gen.Byte[1, 255].Array[0, 40];
    private static readonly Gen<byte[]?> Value = Gen.Byte.Array[0, 30].Null(0.2);

    [Fact]
    public void Query_AnyText_RoundTripsAtAnySplit()
    {
        Gen.Select(CString, Gen.Int[0, 100]).Sample((text, split) =>
        {
            byte[] bytes = Text.Write(w => Query.Write(w, text));
            var reader = new SequenceReader<byte>(Sequences.Split(bytes, Math.Min(split, bytes.Length)));
            Assert.Equal(OperationStatus.Done, PostgresFrameReader.TryRead(ref reader, 1 << 20, out PostgresFrame frame));
            Assert.Equal(text, Query.Read(frame).Text.ToArray());
        });
    }

    [Fact]
    public void Bind_AnyFormatsAndValues_RoundTrip()
    {
        Gen.Select(CString, CString, Value.Array[0, 8], Gen.Int[0, 2], Gen.Short[0, 1].Array[0, 4]).Sample((portal, statement, values, formatMode, results) =>
        {
            short[] formats = formatMode switch
            {
                0 => [],
                1 => [1],
                _ => values.Select((_, i) => (short)(i % 2)).ToArray(),
            };
            byte[] bytes = Text.Write(w => Bind.Write(w, portal, statement, formats, values, results));
            Bind bind = Bind.Read(PgHostileInputTests.ReadFrame(bytes, 1 << 20));
            Assert.Equal(portal, bind.Portal.ToArray());
            Assert.Equal(statement, bind.Statement.ToArray());
            Assert.Equal(values.Length, bind.ParameterCount);
            Assert.Equal(results, Enumerable.Range(0, bind.ResultFormatCount).Select(bind.GetResultFormat).ToArray());
            int i = 0;
            foreach (ParameterValue p in bind.Parameters)
            {
                Assert.Equal(values[i] is null, p.IsNull);
                Assert.Equal(values[i] ?? [], p.Value.ToArray());
                Assert.Equal(formatMode == 0 ? 0 : formatMode == 1 ? 1 : i % 2, p.FormatCode);
                i++;
            }

            Assert.Equal(values.Length, i);
        });
    }

    [Fact]
    public void StartupMessage_AnyParameters_RoundTripOneBytePerSegment()
    {
        var name = Gen.Char['a', 'z'].Array[1, 12].Select(c => new string(c));
        var value = Gen.Char[' ', '~'].Array[0, 20].Select(c => new string(c));
        Gen.Select(Gen.Select(name, value).Array[0, 6], Gen.Int[0, 2]).Sample((extra, minor) =>
        {
            var parameters = new List<KeyValuePair<string, string>> { new("user", "u") };
            parameters.AddRange(extra.Where(p => p.Item1 != "user").Select(p => new KeyValuePair<string, string>(p.Item1, p.Item2)));
            byte[] bytes = Text.Write(w => StartupMessage.Write(w, minor, parameters.ToArray()));
            var reader = new SequenceReader<byte>(Sequences.OneBytePerSegment(bytes));
            Assert.Equal(OperationStatus.Done, StartupPacketReader.TryRead(ref reader, out StartupPacket packet));
            StartupMessage message = StartupMessage.Read(packet);
            Assert.Equal(minor, message.MinorVersion);
            var read = new List<KeyValuePair<string, string>>();
            foreach (StartupParameter p in message.Parameters)
            {
                read.Add(new(Text.Of(p.Name), Text.Of(p.Value)));
            }

            Assert.Equal(parameters, read);
        }, iter: 300);
    }

    [Fact]
    public void ErrorResponse_AnyFields_RoundTrip()
    {
        var text = Gen.Char[' ', '~'].Array[0, 40].Select(c => new string(c));
        var state = Gen.Char['0', 'Z'].Array[5].Select(c => new string(c));
        Gen.Select(text, state, text, text.Null(0.5), text.Null(0.5)).Sample((severity, sqlState, message, detail, hint) =>
        {
            byte[] bytes = Text.Write(w => ErrorResponse.Write(w, severity, sqlState, message, detail, hint));
            ErrorResponse e = ErrorResponse.Read(PgHostileInputTests.ReadFrame(bytes, 1 << 20));
            Assert.Equal(severity, Text.Of(e.Severity));
            Assert.Equal(sqlState, Text.Of(e.SqlState));
            Assert.Equal(message, Text.Of(e.Message));
            Assert.Equal(detail ?? "", Text.Of(e.Detail));
            Assert.Equal(hint ?? "", Text.Of(e.Hint));
        });
    }

    /// <summary>
    /// A stream of random messages fed in random chunk sizes, the way a Pipe delivers it: every frame comes out
    /// once, in order, and nothing is lost or consumed early.
    /// </summary>
    [Fact]
    public void FrameScanner_FedInRandomChunks_YieldsEveryFrameInOrder()
    {
        Gen.Select(CString.Array[1, 20], Gen.Int[1, 50].Array[1, 30]).Sample((texts, chunkSizes) =>
        {
            var stream = new ArrayBufferWriter<byte>();
            foreach (byte[] t in texts)
            {
                Query.Write(stream, t);
            }

            byte[] all = stream.WrittenSpan.ToArray();
            var received = new List<byte>();
            var decoded = new List<byte[]>();
            int offset = 0, c = 0;
            while (offset < all.Length || received.Count > 0)
            {
                int take = Math.Min(chunkSizes[c++ % chunkSizes.Length], all.Length - offset);
                received.AddRange(all.AsSpan(offset, take).ToArray());
                offset += take;
                var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(received.ToArray()));
                while (PostgresFrameReader.TryRead(ref reader, 1 << 20, out PostgresFrame frame) == OperationStatus.Done)
                {
                    decoded.Add(Query.Read(frame).Text.ToArray());
                }

                received.RemoveRange(0, (int)reader.Consumed);
                if (take == 0 && received.Count > 0)
                {
                    Assert.Fail("bytes left over at the end of the stream");
                }
            }

            Assert.Equal(texts, decoded);
        });
    }
}

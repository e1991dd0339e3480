using System.Buffers;
using CsCheck;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Commands;
using Ferry.Protocol.MySql.Handshake;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;
using Ferry.Protocol.Tests.MySql;
using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.Properties;

public sealed class MyPropertyTests
{
    private static readonly Gen<ulong> Boundaryish = Gen.OneOf(
        Gen.ULong[0, 300], Gen.ULong[0xFFF0, 0x1_0010], Gen.ULong[0xFF_FFF0, 0x100_0010], Gen.ULong);

    [Fact]
    public void OkPacket_AnyLengthEncodedValues_RoundTrip()
    {
        Gen.Select(Boundaryish, Boundaryish, Gen.UShort, Gen.Byte[32, 126].Array[0, 300]).Sample((rows, id, warnings, info) =>
        {
            byte[] bytes = Text.Write(w => OkPacket.Write(w, 1, MyProject.Modern, rows, id, ServerStatus.AutoCommit, warnings, info));
            OkPacket ok = OkPacket.Read(Payload(bytes), MyProject.Modern);
            Assert.Equal(rows, ok.AffectedRows);
            Assert.Equal(id, ok.LastInsertId);
            Assert.Equal(warnings, ok.Warnings);
            Assert.Equal(info, ok.Info.ToArray());
        });
    }

    [Fact]
    public void HandshakeResponse_AnyUserSchemaAttributes_RoundTrip()
    {
        var name = Gen.Byte[1, 255].Array[0, 32];
        var attr = Gen.Char['a', 'z'].Array[1, 10].Select(c => new string(c));
        Gen.Select(name, name, Gen.Byte.Array[0, 300], Gen.Select(attr, attr).Array[0, 5]).Sample((user, schema, auth, attrs) =>
        {
            var pairs = attrs.Select(a => new KeyValuePair<string, string>(a.Item1, a.Item2)).ToArray();
            MySqlCapabilities caps = MyProject.Modern | MySqlCapabilities.ConnectWithDb;
            byte[] bytes = Text.Write(w => HandshakeResponse41.Write(w, 1, caps, 1 << 24, 45, user, auth, schema, "p"u8, pairs));
            HandshakeResponse41 r = HandshakeResponse41.Read(Payload(bytes));
            Assert.Equal(user, r.User.ToArray());
            Assert.Equal(schema, r.Schema.ToArray());
            Assert.Equal(auth, r.AuthResponse.ToArray());
            var read = new List<KeyValuePair<string, string>>();
            foreach (ConnectAttribute a in r.ConnectAttributes)
            {
                read.Add(new(Text.Of(a.Key), Text.Of(a.Value)));
            }

            Assert.Equal(pairs, read);
        });
    }

    [Fact]
    public void StmtExecute_AnyTypedValues_RoundTripAtAnySplit()
    {
        var typed = Gen.OneOf(
            Gen.Byte.Array[1].Select(v => (MySqlColumnType.Tiny, (byte[]?)v)),
            Gen.Byte.Array[2].Select(v => (MySqlColumnType.Short, (byte[]?)v)),
            Gen.Byte.Array[4].Select(v => (MySqlColumnType.Long, (byte[]?)v)),
            Gen.Byte.Array[8].Select(v => (MySqlColumnType.LongLong, (byte[]?)v)),
            Gen.Byte.Array[8].Select(v => (MySqlColumnType.Double, (byte[]?)v)),
            Gen.Byte.Array[0, 300].Select(v => (MySqlColumnType.VarString, (byte[]?)v)),
            Gen.Byte.Array[0, 20].Select(v => (MySqlColumnType.Blob, (byte[]?)v)),
            Gen.Const((MySqlColumnType.DateTime, (byte[]?)[0xE8, 0x07, 1, 2, 3, 4, 5])),
            Gen.Const((MySqlColumnType.VarString, (byte[]?)null)));
        Gen.Select(typed.Array[0, 12], Gen.Bool, Gen.Int[0, 1000]).Sample((parameters, sendTypes, split) =>
        {
            MySqlParameterType[] types = parameters.Select(p => new MySqlParameterType(p.Item1, false)).ToArray();
            byte[]?[] values = parameters.Select(p => p.Item2).ToArray();
            byte[] bytes = Text.Write(w => ComStmtExecute.Write(w, 5, 0, types, values, sendTypes));
            var reader = new SequenceReader<byte>(Sequences.Split(bytes, Math.Min(split, bytes.Length)));
            Assert.Equal(OperationStatus.Done, MySqlPacketReader.TryReadMessage(ref reader, 1 << 20, out MySqlMessage message));
            message.TryGetPayload(out ReadOnlySequence<byte> payload);
            ComStmtExecute e = ComStmtExecute.Read(payload, types.Length, types);
            int i = 0;
            foreach (MySqlBinaryValue v in e.Parameters)
            {
                Assert.Equal(types[i], v.Type);
                Assert.Equal(values[i] is null, v.IsNull);
                Assert.Equal(values[i] ?? [], v.Raw.ToArray());
                v.FormatTo(new ArrayBufferWriter<byte>());
                i++;
            }

            Assert.Equal(types.Length, i);
        });
    }

    [Fact]
    public void PacketWriter_AnyPayloadSize_FramesAndReassembles()
    {
        Gen.Int[0, 3000].Sample(size =>
        {
            byte[] payload = new byte[size];
            Random.Shared.NextBytes(payload);
            var w = new ArrayBufferWriter<byte>();
            byte sequence = 3;
            MySqlPacketWriter.WritePayload(w, ref sequence, payload);
            Assert.Equal(4, sequence);
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(w.WrittenMemory));
            Assert.Equal(OperationStatus.Done, MySqlPacketReader.TryReadMessage(ref reader, MySqlLimits.DefaultMaxMessageLength, out MySqlMessage m));
            Assert.True(m.TryGetPayload(out ReadOnlySequence<byte> read));
            Assert.Equal(payload, read.ToArray());
        }, iter: 200);
    }

    private static ReadOnlySequence<byte> Payload(byte[] packet) => new(packet, 4, packet.Length - 4);
}

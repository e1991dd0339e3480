using System.Buffers;
using System.Buffers.Binary;
using Ferry.Protocol.MySql;
using Ferry.Protocol.MySql.Packets;
using Ferry.Protocol.MySql.Responses;

namespace Ferry.Protocol.Tests.MySql;

public sealed class MyResponseTrackerTests
{
    private const MySqlCapabilities Deprecate = MySqlCapabilities.Protocol41 | MySqlCapabilities.SessionTrack | MySqlCapabilities.DeprecateEof;
    private const MySqlCapabilities Classic = MySqlCapabilities.Protocol41 | MySqlCapabilities.SessionTrack;

    private static byte[] SchemaState(string schema)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(schema);
        return [(byte)SessionTrackType.Schema, (byte)(name.Length + 1), (byte)name.Length, .. name];
    }

    private static byte[] VariableState(string name, string value)
    {
        var n = System.Text.Encoding.UTF8.GetBytes(name);
        var v = System.Text.Encoding.UTF8.GetBytes(value);
        return [(byte)SessionTrackType.SystemVariables, (byte)(n.Length + v.Length + 2), (byte)n.Length, .. n, (byte)v.Length, .. v];
    }

    private static byte[] Ok(ServerStatus status, byte[]? state = null, byte header = 0x00)
    {
        var flags = (ushort)(status | (state is null ? 0 : ServerStatus.SessionStateChanged));
        byte[] body = [header, 0, 0, (byte)flags, (byte)(flags >> 8), 0, 0];
        return state is null ? body : [.. body, 0, (byte)state.Length, .. state];
    }

    private static ResponseStep Step(ResponseTracker tracker, byte[] payload)
    {
        var whole = tracker.NeedsWhole(payload.Length, payload.Length > 0 ? payload[0] : (byte)0);
        return tracker.Step(payload.Length, new ReadOnlySequence<byte>(whole ? payload : payload.AsSpan(0, Math.Min(1, payload.Length)).ToArray()));
    }

    [Fact]
    public void ResultSetTerminator_WhosePayloadStartsWithAnEmptySegment_IsReadAcrossSegments()
    {
        // A pipe can hand a payload over as several segments, the first of them empty (found by the mysql-responses fuzz target).
        var tracker = new ResponseTracker(Deprecate);
        tracker.Expect(ExpectedResponse.Generic, "q");
        Assert.Equal(ResponseStepKind.Data, Step(tracker, [1]).Kind);
        Assert.Equal(ResponseStepKind.Data, Step(tracker, [3, (byte)'d', (byte)'e', (byte)'f', 0, 0]).Kind);
        var terminator = Ok(ServerStatus.AutoCommit, header: 0xFE);
        Assert.True(tracker.NeedsWhole(terminator.Length, terminator[0]));
        var first = new Ferry.Protocol.Tests.Support.BufferSegment(ReadOnlyMemory<byte>.Empty);
        var last = first.Append(terminator);
        var end = tracker.Step(terminator.Length, new ReadOnlySequence<byte>(first, 0, last, terminator.Length));
        Assert.Equal(ResponseStepKind.Ok, end.Kind);
        Assert.True(end.EndsResponse);
        Assert.True(tracker.Idle);
    }

    [Fact]
    public void ResultSet_WithRowsStartingLikeOkPackets_IsFollowedToItsEnd_ThenTheNextResultsSchemaChangeIsSeen()
    {
        var tracker = new ResponseTracker(Deprecate);
        tracker.Expect(ExpectedResponse.Generic, "q");

        Assert.Equal(ResponseStepKind.Data, Step(tracker, [1]).Kind); // one column
        Assert.Equal(ResponseStepKind.Data, Step(tracker, [3, (byte)'d', (byte)'e', (byte)'f', 0, 0]).Kind);
        // A row whose first column is '' starts with 0x00, and its bytes would parse as an OK with a schema change.
        var lookalike = Ok(ServerStatus.AutoCommit, SchemaState("evil"));
        Assert.Equal(ResponseStepKind.Data, Step(tracker, lookalike).Kind);
        var end = Step(tracker, Ok(ServerStatus.AutoCommit | ServerStatus.MoreResultsExist, header: 0xFE));
        Assert.Equal(ResponseStepKind.Ok, end.Kind);
        Assert.False(end.EndsResponse);
        var use = Step(tracker, Ok(ServerStatus.AutoCommit, SchemaState("other")));
        Assert.Equal(ResponseStepKind.Ok, use.Kind);
        Assert.Equal("q", use.Tag);
        Assert.True(use.EndsResponse);
        Assert.Equal("other", SessionState.Read(use.Ok.SessionStateChanges).Schema);
        Assert.True(tracker.Idle);
    }

    [Fact]
    public void ClassicEofResultSet_AndErrInRows_EndTheResponse()
    {
        var tracker = new ResponseTracker(Classic);
        tracker.Expect(ExpectedResponse.Generic);
        tracker.Expect(ExpectedResponse.Generic, "second");
        Step(tracker, [2]);
        Step(tracker, [3, 0]);
        Step(tracker, [3, 0]);
        Assert.Equal(ResponseStepKind.Data, Step(tracker, [0xFE, 0, 0, 2, 0]).Kind); // EOF after the columns
        Step(tracker, [0, 0]);
        var eof = Step(tracker, [0xFE, 0, 0, 2, 0]);
        Assert.Equal(ResponseStepKind.Ok, eof.Kind);
        Assert.True(eof.EndsResponse);
        Step(tracker, [1]);
        Step(tracker, [3, 0]);
        Step(tracker, [0xFE, 0, 0, 2, 0]);
        var err = Step(tracker, [0xFF, 0x10, 0x04, (byte)'#', (byte)'H', (byte)'Y', (byte)'0', (byte)'0', (byte)'0', (byte)'x']);
        Assert.Equal(ResponseStepKind.Err, err.Kind);
        Assert.Equal("second", err.Tag);
        Assert.True(tracker.Idle);
    }

    [Fact]
    public void Prepare_FieldList_Statistics_AndARefusedStream_EachEndWhereTheServerStops()
    {
        var tracker = new ResponseTracker(Classic);
        tracker.Expect(ExpectedResponse.Prepare);
        tracker.Expect(ExpectedResponse.FieldList);
        tracker.Expect(ExpectedResponse.SinglePacket);
        tracker.Expect(ExpectedResponse.Stream);
        tracker.Expect(ExpectedResponse.Generic, "after");

        var prepareOk = new byte[StmtPrepareOk.PayloadLength];
        BinaryPrimitives.WriteUInt16LittleEndian(prepareOk.AsSpan(5), 1); // columns
        BinaryPrimitives.WriteUInt16LittleEndian(prepareOk.AsSpan(7), 2); // parameters
        Assert.Equal(ResponseStepKind.PrepareFirst, Step(tracker, prepareOk).Kind);
        Step(tracker, [3, 0]);
        Step(tracker, [3, 0]);
        Step(tracker, [0xFE, 0, 0, 2, 0]);
        Step(tracker, [3, 0]);
        Assert.True(Step(tracker, [0xFE, 0, 0, 2, 0]).EndsResponse);
        Step(tracker, [3, 0]);
        Assert.True(Step(tracker, [0xFE, 0, 0, 2, 0]).EndsResponse); // COM_FIELD_LIST
        Assert.True(Step(tracker, "Uptime: 1"u8.ToArray()).EndsResponse); // COM_STATISTICS
        Assert.Equal(ResponseStepKind.Err, Step(tracker, [0xFF, 1, 0]).Kind); // refused binlog dump
        var ok = Step(tracker, Ok(ServerStatus.AutoCommit));
        Assert.Equal("after", ok.Tag);
        Assert.True(tracker.Idle);
    }

    [Fact]
    public void SessionState_ReadsSchemaAndVariables_AndSkipsOtherEntries()
    {
        byte[] gtid = [(byte)SessionTrackType.Gtids, 3, 0, 1, (byte)'x'];
        var state = SessionState.Read(new ReadOnlySequence<byte>([.. VariableState("session_track_schema", "OFF"), .. gtid, .. SchemaState("app")]));
        Assert.Equal("app", state.Schema);
        Assert.Equal([new KeyValuePair<string, string>("session_track_schema", "OFF")], state.Variables);
        Assert.Equal("", SessionState.Read(new ReadOnlySequence<byte>(SchemaState(""))).Schema);
        Assert.Null(SessionState.Read(ReadOnlySequence<byte>.Empty).Schema);
    }

    [Fact]
    public void SessionState_EveryTruncatedPrefix_IsMalformedNeverAnotherException()
    {
        byte[] full = [.. SchemaState("other"), .. VariableState("a", "b")];
        for (var length = 1; length < full.Length; length++)
        {
            if (length == SchemaState("other").Length)
            {
                continue;
            }
            var prefix = full[..length];
            Assert.Throws<MySqlProtocolException>(() => SessionState.Read(new ReadOnlySequence<byte>(prefix)));
        }
    }

    [Fact]
    public void SessionState_WithTooManyEntries_IsMalformed()
    {
        var many = Enumerable.Repeat<byte[]>([(byte)SessionTrackType.StateChange, 2, 1, (byte)'1'], SessionState.MaxEntries + 1).SelectMany(x => x).ToArray();
        Assert.Throws<MySqlProtocolException>(() => SessionState.Read(new ReadOnlySequence<byte>(many)));
    }
}

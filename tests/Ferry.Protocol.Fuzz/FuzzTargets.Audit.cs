using System.Buffers;
using System.Text.Json;
using Ferry.Audit;

namespace Ferry.Protocol.Fuzz;

/// <summary>
/// The audit pipeline's two readers of bytes that can be hostile or damaged: the auth service's parse and store of an
/// upload (<c>POST /v1/audit/events</c>, sent by any agent or proxy host), and the agent spool's recovery and read of a
/// segment file (a crash's leftovers, a bad disk, an edit). Refusals are fine; a crash, a broken chain, or an upload
/// built by the spool that the auth service would refuse (it is retried for ever, stopping that agent's audit) is a bug.
/// </summary>
internal static partial class FuzzTargets
{
    private static readonly byte[] SpoolMagic = "FRYSPL01"u8.ToArray();

    /// <summary>The body as the auth service reads it, then into a store, searched back and verified.</summary>
    private static void AuditUpload(byte[] body)
    {
        List<AuditEvent>? events = ReadUpload(body, out List<ReadOnlyMemory<byte>> canonical);
        if (events is null || events.Count == 0)
        {
            return;
        }

        string dir = NewTempDirectory();
        try
        {
            using var store = AuditStore.Open(dir, new AuditStoreOptions { Fsync = false });
            // As the endpoint stores them: the bytes the reader vouched for as they came, the others written again.
            store.Append(events, canonical);
            _ = store.Search(new AuditQuery { Limit = 0 }).Count;
            store.Seal();
            AuditVerifyResult verified = store.Verify();
            if (!verified.Ok)
            {
                throw new InvalidOperationException("the stored chain does not verify: " + verified);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// A spool segment: the input after the file's magic, as it is (even first byte) or as records framed correctly
    /// around each line of it (odd first byte: CRC-valid payloads of any content). Opened (recovery), drained, then one
    /// more event appended and drained: every upload must be one the auth service accepts, and the new event must arrive.
    /// </summary>
    private static void AuditSpoolSegment(byte[] data)
    {
        byte[] segment;
        if (data.Length > 0 && (data[0] & 1) == 1)
        {
            var framed = new ArrayBufferWriter<byte>();
            framed.Write(SpoolMagic);
            foreach (ReadOnlyMemory<byte> line in Lines(data.AsMemory(1)))
            {
                RecordFraming.Append(framed, line.Span);
            }

            segment = framed.WrittenSpan.ToArray();
        }
        else
        {
            segment = [.. SpoolMagic, .. data.AsSpan(Math.Min(1, data.Length))];
        }

        string dir = NewTempDirectory();
        try
        {
            string path = Path.Combine(dir, "spool-000000000001.log");
            File.WriteAllBytes(path, segment);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            using var spool = AuditSpool.Open(dir, new AuditSpoolOptions { Fsync = false });
            var uploader = new CheckingUploader();
            var shipper = new AuditShipper(spool, uploader);
            shipper.DrainAsync(CancellationToken.None).GetAwaiter().GetResult();
            var marker = new AuditEvent { Id = AuditEventId.New(DateTimeOffset.UnixEpoch), Type = AuditEventTypes.DbSessionQuery, Time = DateTimeOffset.UnixEpoch };
            spool.AppendDurable([marker]);
            shipper.DrainAsync(CancellationToken.None).GetAwaiter().GetResult();
            if (uploader.Problem is { } problem)
            {
                throw new InvalidOperationException(problem);
            }

            if (!uploader.Ids.Contains(marker.Id))
            {
                throw new InvalidOperationException("an event appended after recovery was not shipped");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// As <c>POST /v1/audit/events</c> reads a body (<see cref="AuditEventReader.ReadUpload"/>): one JSON array of
    /// events, nothing after it, each with an id and a type. The serializer's contract (<see cref="AuditJsonContext"/>)
    /// must read the same body to the same events, or refuse it too: the hand-written reader is a cost saving, never a
    /// difference in what the auth service accepts or stores.
    /// </summary>
    private static List<AuditEvent>? ReadUpload(byte[] body, out List<ReadOnlyMemory<byte>> canonical)
    {
        List<AuditEvent>? events = Accepted(() => AuditEventReader.ReadUpload(new ReadOnlySequence<byte>(body)));
        var vouched = new List<ReadOnlyMemory<byte>>();
        List<AuditEvent>? whole = Accepted(() => AuditEventReader.ReadUpload(body, vouched));
        canonical = vouched;
        if ((events is null) != (whole is null) || (events is not null && !JsonSerializer.SerializeToUtf8Bytes(events, AuditJsonContext.Default.ListAuditEvent).AsSpan()
                .SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(whole!, AuditJsonContext.Default.ListAuditEvent))))
        {
            throw new InvalidOperationException("the upload reader read a body in one piece differently from the same body as a sequence");
        }

        // Bytes the reader vouches for must be exactly what the writer makes of the event read: they are stored as they are.
        for (int i = 0; whole is not null && i < whole.Count; i++)
        {
            if (!vouched[i].IsEmpty && !vouched[i].Span.SequenceEqual(AuditChain.CanonicalJson(whole[i])))
            {
                throw new InvalidOperationException("the upload reader vouched for bytes that are not the event's canonical JSON");
            }
        }

        List<AuditEvent>? contract = Accepted(() => DeserializeOne(body));
        if ((events is null) != (contract is null))
        {
            throw new InvalidOperationException($"the upload reader {(events is null ? "refused" : "accepted")} a body the serializer {(contract is null ? "refused" : "accepted")}");
        }

        if (events is not null && !JsonSerializer.SerializeToUtf8Bytes(events, AuditJsonContext.Default.ListAuditEvent).AsSpan()
                .SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(contract!, AuditJsonContext.Default.ListAuditEvent)))
        {
            throw new InvalidOperationException("the upload reader read other events than the serializer");
        }

        // The same body split into small buffers, as Kestrel hands it over: names and values across the cuts.
        if (events is not null && body.Length > 1)
        {
            List<AuditEvent>? split = Accepted(() => AuditEventReader.ReadUpload(Chunks(body, 1 + body[0] % 7)));
            if (split is null || !JsonSerializer.SerializeToUtf8Bytes(split, AuditJsonContext.Default.ListAuditEvent).AsSpan()
                    .SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(events, AuditJsonContext.Default.ListAuditEvent)))
            {
                throw new InvalidOperationException("the upload reader read a body split into buffers differently");
            }
        }

        return events;
    }

    private static List<AuditEvent>? DeserializeOne(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        List<AuditEvent>? events = JsonSerializer.Deserialize(ref reader, AuditJsonContext.Default.ListAuditEvent);
        return reader.Read() ? throw new JsonException("unexpected data after the JSON value") : events;
    }

    /// <summary>The events when the body is one the endpoint accepts: read, not null, every event with an id and a type.</summary>
    private static List<AuditEvent>? Accepted(Func<List<AuditEvent>?> read)
    {
        try
        {
            List<AuditEvent>? events = read();
            return events is not null && events.TrueForAll(e => e is not null && !string.IsNullOrEmpty(e.Id) && !string.IsNullOrEmpty(e.Type)) ? events : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary><paramref name="bytes"/> as a sequence of buffers of <paramref name="size"/> bytes.</summary>
    private static ReadOnlySequence<byte> Chunks(byte[] bytes, int size)
    {
        var first = new Segment(bytes.AsMemory(0, Math.Min(size, bytes.Length)), 0);
        Segment last = first;
        for (int i = size; i < bytes.Length; i += size)
        {
            last = last.Append(bytes.AsMemory(i, Math.Min(size, bytes.Length - i)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Lines(ReadOnlyMemory<byte> data)
    {
        while (data.Length > 0)
        {
            int nl = data.Span.IndexOf((byte)'\n');
            yield return nl < 0 ? data : data[..nl];
            data = nl < 0 ? ReadOnlyMemory<byte>.Empty : data[(nl + 1)..];
        }
    }

    private static string NewTempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ferry-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // the stores refuse a directory others can read
        return dir;
    }

    /// <summary>Records what the auth service would refuse instead of throwing (a throw is retried for ever).</summary>
    private sealed class CheckingUploader : IAuditUploader
    {
        public HashSet<string> Ids { get; } = [];

        public string? Problem { get; private set; }

        public Task UploadAsync(AuditBatch batch, CancellationToken ct)
        {
            if (ReadUpload(batch.Json.ToArray(), out _) is not { } events || events.Count != batch.Count)
            {
                Problem ??= "the spool built an upload the auth service refuses: " + System.Text.Encoding.UTF8.GetString(batch.Json.Span[..Math.Min(batch.Json.Length, 300)]);
                return Task.CompletedTask;
            }

            foreach (AuditEvent e in events)
            {
                Ids.Add(e.Id);
            }

            return Task.CompletedTask;
        }
    }
}

using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Ferry.Audit;

namespace Ferry.Benchmarks.Audit;

/// <summary>
/// The auth service's parse of one audit upload (<c>POST /v1/audit/events</c>, 1,000 query events as an agent ships
/// them): over the body as Kestrel hands it (a sequence of 4 KiB pipe segments) against the same bytes in one span,
/// and the hand-written <see cref="AuditEventReader"/> the endpoint uses.
/// Each operation is one event.
/// </summary>
[MemoryDiagnoser]
public class AuditUploadParseBenchmarks
{
    private const int Events = 1000;
    private byte[] _body = [];
    private byte[] _plainBody = [];
    private ReadOnlySequence<byte> _segmented;

    [GlobalSetup]
    public void Setup()
    {
        _body = JsonSerializer.SerializeToUtf8Bytes(AuditBenchEvents.Make(Events).ToList(), AuditJsonContext.Default.ListAuditEvent);
        _segmented = Segments(_body, 4096);
        // The same events with a statement the writer does not escape (no '>'): canonical as uploaded.
        _plainBody = JsonSerializer.SerializeToUtf8Bytes(AuditBenchEvents.Make(Events).Select(e =>
        {
            e.Query = e.Query!.Replace(">", "after", StringComparison.Ordinal);
            return e;
        }).ToList(), AuditJsonContext.Default.ListAuditEvent);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int Segmented()
    {
        var reader = new Utf8JsonReader(_segmented);
        return JsonSerializer.Deserialize(ref reader, AuditJsonContext.Default.ListAuditEvent)!.Count;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int Contiguous()
    {
        var reader = new Utf8JsonReader(_body);
        return JsonSerializer.Deserialize(ref reader, AuditJsonContext.Default.ListAuditEvent)!.Count;
    }

    /// <summary>What the endpoint runs since 2026-12-05: <see cref="AuditEventReader"/> over the segmented body.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int Reader() => AuditEventReader.ReadUpload(_segmented)!.Count;

    /// <summary>What the endpoint runs since the canonical-bytes change: the body in one piece, each event's canonical bytes named (these are not canonical: '>' is escaped).</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int Canonical() => AuditEventReader.ReadUpload(_body, new List<ReadOnlyMemory<byte>>(Events))!.Count;

    /// <summary><see cref="Canonical"/> of canonical events (the statement has nothing the writer escapes).</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int PlainCanonical() => AuditEventReader.ReadUpload(_plainBody, new List<ReadOnlyMemory<byte>>(Events))!.Count;

    /// <summary>The sequence reader over the canonical events, for comparison.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int PlainReader() => AuditEventReader.ReadUpload(new ReadOnlySequence<byte>(_plainBody))!.Count;

    private static ReadOnlySequence<byte> Segments(byte[] bytes, int size)
    {
        Segment? first = null, last = null;
        for (int i = 0; i < bytes.Length; i += size)
        {
            var s = new Segment(bytes.AsMemory(i, Math.Min(size, bytes.Length - i)), last);
            first ??= s;
            last = s;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}

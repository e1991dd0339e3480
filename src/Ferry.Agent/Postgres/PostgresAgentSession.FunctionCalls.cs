using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Ferry.Audit;
using Ferry.Protocol.Postgres.Frontend;

namespace Ferry.Agent.Postgres;

/// <summary>
/// Runs of fast-path calls to one function become one audit event. libpq's <c>lo_import</c>/<c>lo_export</c> call
/// <c>lowrite</c>/<c>loread</c> once per 8 KB chunk: a 3 MB file would write hundreds of events that say the same.
/// The first call's event is held; each further call to the same function adds to it (count, argument bytes, and
/// a SHA-256 over every call's arguments, so nothing is lost, only aggregated). It is emitted when a call to another
/// function or any other audited message comes, after <see cref="MaxCallsPerEvent"/> calls, or when the session ends.
/// Each call's answer (FunctionCallResponse) counts as one row and its bytes: against <c>max_query_bytes</c> and the
/// egress budget like a result, and summed into the event's <c>rows</c> and <c>bytes_out</c>.
/// </summary>
internal sealed partial class PostgresAgentSession
{
    /// <summary>Most calls one aggregated event stands for; the next call starts a new event.</summary>
    internal const int MaxCallsPerEvent = 100_000;

    private FunctionCallRun? _functionCalls;

    /// <summary>The run a FunctionCall just seen belongs to (client side, read right after by <c>Expect</c>).</summary>
    private FunctionCallRun? CurrentFunctionCalls => _functionCalls;

    /// <summary>True when <paramref name="call"/> calls the function of the run held: it is added to it, no event of its own.</summary>
    private bool TryAddToFunctionCalls(in FunctionCall call)
    {
        if (_functionCalls is { } run && run.FunctionOid == call.FunctionOid && run.Calls < MaxCallsPerEvent)
        {
            run.Add(call);
            return true;
        }

        FlushFunctionCalls();
        return false;
    }

    /// <summary>Holds <paramref name="first"/>, the event of <paramref name="call"/>, as the start of a run.</summary>
    private void StartFunctionCalls(in FunctionCall call, AuditEvent first)
    {
        _functionCalls = new FunctionCallRun(call.FunctionOid, first);
        _functionCalls.Add(call);
    }

    /// <summary>Emits the held run of calls, if any (another message came, or the session ends).</summary>
    private void FlushFunctionCalls()
    {
        if (_functionCalls is not { } run)
        {
            return;
        }

        _functionCalls = null;
        Audit.Emit(run.ToEvent());
    }

    /// <summary>Emits a held run of fast-path calls before the session's end event.</summary>
    protected override void BeforeEnded() => FlushFunctionCalls();

    private sealed class FunctionCallRun(uint functionOid, AuditEvent first) : IDisposable
    {
        private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public uint FunctionOid { get; } = functionOid;

        public int Calls { get; private set; }

        public long ArgumentBytes { get; private set; }

        private long _resultRows;
        private long _resultBytes;

        /// <summary>Server side, at the call's ReadyForQuery: what it returned (FunctionCallResponse: one row).</summary>
        public void AddResult(long rows, long bytes)
        {
            Interlocked.Add(ref _resultRows, rows);
            Interlocked.Add(ref _resultBytes, bytes);
        }

        /// <summary>Hashes the call's arguments, each as (i32 length or -1, bytes): two runs hash alike only with the same arguments.</summary>
        public void Add(in FunctionCall call)
        {
            Calls++;
            Span<byte> length = stackalloc byte[4];
            foreach (var a in call.Arguments)
            {
                BinaryPrimitives.WriteInt32BigEndian(length, a.IsNull ? -1 : (int)a.Value.Length);
                _sha.AppendData(length);
                if (a.IsNull)
                {
                    continue;
                }

                ArgumentBytes += a.Value.Length;
                foreach (var segment in a.Value)
                {
                    _sha.AppendData(segment.Span);
                }
            }
        }

        /// <summary>One call: the event as it was. Several: the first call's event with the run's count, bytes and hash.</summary>
        public AuditEvent ToEvent()
        {
            using (this)
            {
                // What came back, as for every statement (the calls answered so far: a run is emitted when the client
                // moves on, after it has read each call's answer).
                first.Rows = Interlocked.Read(ref _resultRows);
                first.BytesOut = Interlocked.Read(ref _resultBytes);
                if (Calls == 1)
                {
                    return first;
                }

                var details = new Dictionary<string, string>(first.Details ?? new Dictionary<string, string>())
                {
                    ["calls"] = Calls.ToString(CultureInfo.InvariantCulture),
                    ["argument_bytes"] = ArgumentBytes.ToString(CultureInfo.InvariantCulture),
                    ["arguments_sha256"] = Convert.ToHexStringLower(_sha.GetHashAndReset()),
                };
                first.Details = details;
                return first;
            }
        }

        public void Dispose() => _sha.Dispose();
    }
}

using System.Buffers;
using System.IO.Pipelines;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Backend;
using Ferry.Protocol.Postgres.Frontend;

namespace Ferry.Agent.Postgres;

/// <summary>
/// A PostgreSQL server connection past start-up: its TLS stream and reader, the database's own
/// cancel key, and the ParameterStatus messages start-up produced, so that a later session handed
/// this connection by a <see cref="PostgresBackendPool"/> can be told the same start-up answers.
/// </summary>
internal sealed class PostgresBackend(Stream stream, DateTimeOffset created) : IAsyncDisposable
{
    internal const int Idle = 0;
    internal const int Taken = 1;
    internal const int Dead = 2;

    private readonly List<byte[]> _parameters = [];
    private int _disposed;

    public Stream Stream { get; } = stream;

    public PipeReader Reader { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true, useZeroByteReads: true));

    public DateTimeOffset Created { get; } = created;

    public int ProcessId { get; set; }

    public byte[] SecretKey { get; set; } = [];

    /// <summary>Pool bookkeeping: <see cref="Idle"/>, <see cref="Taken"/> or <see cref="Dead"/> (changed with Interlocked).</summary>
    internal int State;

    internal DateTimeOffset IdleSince;

    /// <summary>While idle in a pool: the read that notices the server speaking or closing; true when it was cancelled by a taker.</summary>
    internal Task<bool>? Watch;

    /// <summary>Remembers a ParameterStatus message (whole, code byte included), replacing an earlier one of the same name.</summary>
    public void SetParameter(byte[] message)
    {
        var name = ParameterName(message);
        for (var i = 0; i < _parameters.Count; i++)
        {
            if (ParameterName(_parameters[i]).SequenceEqual(name))
            {
                _parameters[i] = message;
                return;
            }
        }
        _parameters.Add(message);
    }

    /// <summary>
    /// What a client is told when it is handed this connection: AuthenticationOk, the ParameterStatus
    /// messages, its own (minted) BackendKeyData and ReadyForQuery (idle).
    /// </summary>
    public void WriteStartupReplay(IBufferWriter<byte> writer, int processId, byte[] secretKey)
    {
        Authentication.WriteOk(writer);
        foreach (var p in _parameters)
        {
            writer.Write(p);
        }
        BackendKeyData.Write(writer, processId, secretKey);
        ReadyForQuery.Write(writer, TransactionStatus.Idle);
    }

    /// <summary>Says Terminate to the server (best effort) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await Stream.WriteAsync(Terminate, timeout.Token);
            await Stream.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException or NotSupportedException)
        {
            // Terminate is a courtesy: a server that is gone or stalled is closed all the same just below.
            AgentLog.BackendCloseFailed(Ferry.Diagnostics.FerryLogging.Factory.CreateLogger("Ferry.Agent"), e.Message);
        }
        // The reader is not completed here: a relay may still be reading it, and disposing the stream ends that read.
        await Stream.DisposeAsync();
    }

    private static readonly byte[] Terminate = BuildTerminate();

    private static byte[] BuildTerminate()
    {
        var w = new ArrayBufferWriter<byte>(5);
        EmptyMessage.Write(w, (byte)FrontendMessageCode.Terminate);
        return w.WrittenSpan.ToArray();
    }

    // The message is one array, so the name is one segment.
    private static ReadOnlySpan<byte> ParameterName(byte[] message) =>
        ParameterStatus.Read(PgWire.Frame(message)).Name.FirstSpan;
}

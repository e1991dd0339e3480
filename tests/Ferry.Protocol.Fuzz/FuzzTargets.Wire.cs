using System.Buffers;
using Ferry.Protocol.MySql;
using Ferry.Protocol.Postgres;
using Ferry.Wire;
using Ferry.Wire.MySql;
using Ferry.Wire.Postgres;

namespace Ferry.Protocol.Fuzz;

/// <summary>
/// The database clients ferryd runs itself (web console, health probes, <c>ferry bench</c>) read whatever the server
/// sends: the input is the server's side of a whole session — start-up (authentication requests, SCRAM, parameter
/// status, MySQL greeting, auth switch) and then the answer to one statement, decoded with rows wanted. A server that
/// lies must end in a <see cref="WireException"/>, a typed protocol error or — when the script runs out — the
/// <see cref="IOException"/> of a closed connection (what the web console and the bench report as such), never anything
/// else and never a hang.
/// </summary>
internal static partial class FuzzTargets
{
    private static void WirePostgres(ReadOnlySequence<byte> input) => AgainstScript(input, RunPostgres);

    private static void WireMySql(ReadOnlySequence<byte> input) => AgainstScript(input, RunMySql);

    private static void AgainstScript(ReadOnlySequence<byte> input, Func<Stream, Task> session)
    {
        using var stream = new ScriptedServerStream(input.ToArray());
        try
        {
            session(stream).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is WireException or IOException)
        {
            // IOException: the script ended (the server closed the connection), which the callers report as such.
        }
    }

    private static async Task RunPostgres(Stream stream)
    {
        var startup = new PostgresStartup("fuzz", "fuzz", "ferry-fuzz") { Password = "fuzz-password" };
        await using var client = await PostgresWireClient.StartAsync(stream, startup, CancellationToken.None).ConfigureAwait(false);
        await client.QueryAsync("select 1", new RowsWanted(), PostgresQueryMode.Simple, CancellationToken.None).ConfigureAwait(false);
        await client.QueryAsync("select $1", new RowsWanted(), PostgresQueryMode.Extended, CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task RunMySql(Stream stream)
    {
        var startup = new MySqlStartup("fuzz", "fuzz") { Password = "fuzz-password" };
        await using var client = await MySqlWireClient.ConnectAsync(stream, startup, upgradeTls: null, CancellationToken.None, tlsRequired: false).ConfigureAwait(false);
        await client.QueryAsync("select 1", new RowsWanted(), CancellationToken.None).ConfigureAwait(false);
        await client.QueryAsync("select 2", new RowsWanted(), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Decodes every row to strings, as the web console does.</summary>
    private sealed class RowsWanted : WireResultSink
    {
        public override bool WantsRows => true;
    }

    /// <summary>A connection whose server side is a fixed script: reads play it, writes go nowhere, the end is EOF.</summary>
    private sealed class ScriptedServerStream(byte[] script) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            // Short reads (at most 7 bytes at a time when the script says so) exercise the clients' partial-frame paths.
            int n = Math.Min(buffer.Length, script.Length - _position);
            if (n > 7 && script.Length > 0 && (script[0] & 1) == 1)
            {
                n = 7;
            }

            script.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

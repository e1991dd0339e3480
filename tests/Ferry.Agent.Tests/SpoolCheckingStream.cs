using System.Text;

namespace Ferry.Agent.Tests;

/// <summary>A database connection that notes every statement it receives whose event the spool file does not hold yet.</summary>
internal sealed class SpoolCheckingStream(string spoolDirectory) : Ferry.Testing.OneWayStream(reads: false)
{
    private long _receivedBytes;
    private long _expected;
    private readonly SemaphoreSlim _wrote = new(0);

    public List<string> Unaudited { get; } = [];

    public int Checked { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        // Every statement in these bytes, checked against what the spool files hold right now.
        var spooled = ReadSpool();
        var text = Encoding.UTF8.GetString(buffer);
        var at = 0;
        while ((at = text.IndexOf("stmt-", at, StringComparison.Ordinal)) >= 0)
        {
            var end = text.IndexOf('.', at) + 1;
            var tag = text[at..end];
            Checked++;
            if (!spooled.Contains(tag, StringComparison.Ordinal))
            {
                Unaudited.Add(tag);
            }
            at = end;
        }
        Interlocked.Add(ref _receivedBytes, buffer.Length);
        _wrote.Release();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Waits until the relay has forwarded <paramref name="bytes"/> more than all earlier calls asked for. The target
    /// counts what the test sent, not what had arrived when the call began: the relay may forward before this runs.
    /// </summary>
    public async Task WaitForAsync(int bytes)
    {
        _expected += bytes;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Interlocked.Read(ref _receivedBytes) < _expected && DateTime.UtcNow < deadline)
        {
            await _wrote.WaitAsync(TimeSpan.FromMilliseconds(200));
        }
        Assert.True(Interlocked.Read(ref _receivedBytes) >= _expected, "the relay did not forward the statements");
    }

    private string ReadSpool()
    {
        var all = new StringBuilder();
        foreach (var path in Directory.GetFiles(spoolDirectory, "spool-*.log"))
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var r = new StreamReader(f, Encoding.UTF8);
            all.Append(r.ReadToEnd());
        }
        return all.ToString();
    }
}

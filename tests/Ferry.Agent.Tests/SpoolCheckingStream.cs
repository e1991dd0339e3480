using System.Text;

namespace Ferry.Agent.Tests;

/// <summary>A database connection that notes every statement it receives whose event the spool file does not hold yet.</summary>
internal sealed class SpoolCheckingStream(string spoolDirectory) : Ferry.Testing.OneWayStream(reads: false)
{
    private readonly MemoryStream _received = new();
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
        _received.Write(buffer);
        _wrote.Release();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task WaitForAsync(int bytes)
    {
        var target = _received.Length + bytes;
        for (var i = 0; i < 1000 && _received.Length < target; i++)
        {
            await _wrote.WaitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.True(_received.Length >= target, "the relay did not forward the statements");
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

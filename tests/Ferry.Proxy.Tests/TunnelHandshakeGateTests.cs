using Ferry.Testing;
using Microsoft.Extensions.Logging;

namespace Ferry.Proxy.Tests;

/// <summary>
/// The bound on agent tunnel handshakes in flight (<c>proxy.max_tunnel_handshakes</c>): slots up to the limit, the
/// connection past it shed and counted, a slot freed by a finished handshake taken again, and the warning about shed
/// connections at most once per interval with the count since the last one.
/// </summary>
public sealed class TunnelHandshakeGateTests
{
    [Fact]
    public void PastTheLimit_ConnectionsAreShed_UntilAHandshakeFinishes()
    {
        var gate = new TunnelHandshakeGate(3, ManualClock.AtNow(), new LineCounter());

        Assert.True(gate.TryEnter());
        Assert.True(gate.TryEnter());
        Assert.True(gate.TryEnter());
        Assert.False(gate.TryEnter());
        Assert.False(gate.TryEnter());
        Assert.Equal(3, gate.InFlight);
        Assert.Equal(2, gate.Shed);

        gate.Exit();
        Assert.True(gate.TryEnter());
        Assert.False(gate.TryEnter());
        Assert.Equal(3, gate.Shed);
    }

    [Fact]
    public void ParallelHandshakes_NeverExceedTheLimit()
    {
        var gate = new TunnelHandshakeGate(8, ManualClock.AtNow(), new LineCounter());
        var peak = 0;
        Parallel.For(0, 20_000, _ =>
        {
            if (gate.TryEnter())
            {
                var now = gate.InFlight;
                int seen;
                while ((seen = Volatile.Read(ref peak)) < now && Interlocked.CompareExchange(ref peak, now, seen) != seen)
                {
                }
                gate.Exit();
            }
        });

        Assert.InRange(peak, 1, 8);
        Assert.Equal(0, gate.InFlight);
    }

    [Fact]
    public void TheShedWarning_IsRateLimited_AndCarriesTheCountSinceTheLastLine()
    {
        var clock = ManualClock.AtNow();
        var log = new LineCounter();
        var gate = new TunnelHandshakeGate(1, clock, log);
        Assert.True(gate.TryEnter());

        for (var i = 0; i < 50; i++)
        {
            Assert.False(gate.TryEnter());
        }
        Assert.Equal(["Closed 1 agent tunnel"], log.Lines.Select(l => l[..21]));

        clock.Advance(TunnelHandshakeGate.LogInterval);
        Assert.False(gate.TryEnter());
        Assert.Equal(2, log.Lines.Count);
        Assert.StartsWith("Closed 50 agent tunnel connections before TLS: 1 tunnel handshakes", log.Lines[1], StringComparison.Ordinal);
    }

    private sealed class LineCounter : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}

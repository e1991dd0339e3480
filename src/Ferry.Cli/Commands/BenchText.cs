using System.Globalization;
using Ferry.Client.Bench;

namespace Ferry.Cli.Commands;

/// <summary>The text report of <c>ferry bench</c>.</summary>
internal static class BenchText
{
    public static void Write(TextWriter output, BenchReport r)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"target:        {r.Target} ({r.Protocol}, {r.QueryProtocol} protocol)"));
        output.WriteLine(string.Create(c, $"clients:       {r.Clients}{(r.Rate is { } rate ? $", open loop at {rate:0.##} tx/s" : ", closed loop")}{(r.ConnectEach ? ", connect per transaction" : "")}"));
        output.WriteLine(string.Create(c, $"measured:      {r.DurationSeconds:0.###} s{(r.WarmupSeconds > 0 ? $" after {r.WarmupSeconds:0.###} s warm-up" : "")}{(r.Interrupted ? " (interrupted)" : "")}"));
        output.WriteLine(string.Create(c, $"transactions:  {r.Transactions}  ({r.Tps:0.0} tps)"));
        output.WriteLine(string.Create(c, $"errors:        {r.ErrorCount}"));
        foreach (var e in r.Errors)
        {
            output.WriteLine(string.Create(c, $"  {e.Code,-10} {e.Count,8}  {e.FirstMessage}"));
        }

        Line(output, "latency ms:", r.Latency);
        Line(output, "connect ms:", r.Connect);
    }

    private static void Line(TextWriter output, string label, BenchPercentiles p) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-14} p50 {p.P50:0.###}  p90 {p.P90:0.###}  p99 {p.P99:0.###}  p99.9 {p.P999:0.###}  max {p.Max:0.###}  mean {p.Mean:0.###}  (n={p.Count})"));
}

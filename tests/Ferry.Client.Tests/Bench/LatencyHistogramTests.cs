using Ferry.Client.Bench;

namespace Ferry.Client.Tests.Bench;

public sealed class LatencyHistogramTests
{
    private static readonly double[] Percentiles = [0, 1, 10, 50, 90, 99, 99.9, 99.99, 100];

    /// <summary>The reference: the ceil(p/100 * n)-th smallest value of the sorted data.</summary>
    private static long Reference(long[] sorted, double p) => sorted[Math.Max(1, (int)Math.Ceiling(p / 100 * sorted.Length)) - 1];

    private static void AssertWithinOneBucket(long expected, long actual, string what)
    {
        // A bucket is 1/64 of its value wide above 128 (exact below): the answer is the top of the reference's bucket.
        Assert.True(actual >= expected, $"{what}: {actual} is below the reference {expected}");
        Assert.True(actual - expected <= Math.Max(0, expected / 64), $"{what}: {actual} is more than one bucket above the reference {expected}");
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 1000)]
    [InlineData(3, 100_000)]
    public void Percentiles_OfRandomData_MatchASortedReference_WithinOneBucket(int seed, int count)
    {
        var random = new Random(seed);
        var h = new LatencyHistogram();
        var values = new long[count];
        for (var i = 0; i < count; i++)
        {
            // Log-uniform from 1 µs to 10 s: every scale gets values.
            values[i] = (long)Math.Exp(random.NextDouble() * Math.Log(10_000_000));
            h.Record(values[i]);
        }

        Array.Sort(values);
        Assert.Equal(count, h.Count);
        Assert.Equal(values[0], h.Min);
        Assert.Equal(values[^1], h.Max);
        Assert.Equal(values.Average(), h.Mean, 6);
        foreach (var p in Percentiles)
        {
            AssertWithinOneBucket(Reference(values, p), h.ValueAtPercentile(p), $"p{p} of {count} values (seed {seed})");
        }
    }

    [Fact]
    public void Merge_OfPerClientHistograms_EqualsOneHistogramOfAllValues()
    {
        var random = new Random(7);
        var all = new LatencyHistogram();
        var merged = new LatencyHistogram();
        var parts = Enumerable.Range(0, 8).Select(_ => new LatencyHistogram()).ToArray();
        var values = new List<long>();
        for (var i = 0; i < 20_000; i++)
        {
            var v = random.Next(0, 5_000_000);
            values.Add(v);
            all.Record(v);
            parts[i % parts.Length].Record(v);
        }

        foreach (var part in parts)
        {
            merged.Add(part);
        }

        Assert.Equal(all.Count, merged.Count);
        Assert.Equal(all.Min, merged.Min);
        Assert.Equal(all.Max, merged.Max);
        Assert.Equal(all.Sum, merged.Sum);
        var sorted = values.Order().ToArray();
        foreach (var p in Percentiles)
        {
            Assert.Equal(all.ValueAtPercentile(p), merged.ValueAtPercentile(p));
            AssertWithinOneBucket(Reference(sorted, p), merged.ValueAtPercentile(p), $"merged p{p}");
        }
    }

    [Fact]
    public void SmallValues_AreExact()
    {
        var h = new LatencyHistogram();
        for (var v = 0; v < 128; v++)
        {
            h.Record(v);
        }

        Assert.Equal(63, h.ValueAtPercentile(50));
        Assert.Equal(127, h.ValueAtPercentile(100));
        Assert.Equal(0, h.ValueAtPercentile(0));
    }

    [Fact]
    public void Bounds_NegativeIsZero_BeyondADayIsTheLastBucket_MaxStaysTrue_MemoryIsFixed()
    {
        var h = new LatencyHistogram();
        h.Record(-5);
        Assert.Equal(0, h.Min);
        h.Record(LatencyHistogram.MaxTrackable * 10);
        Assert.Equal(LatencyHistogram.MaxTrackable * 10, h.Max);
        Assert.Equal(LatencyHistogram.MaxTrackable * 10, h.ValueAtPercentile(100));
        Assert.Equal(LatencyHistogram.BucketCount - 1, LatencyHistogram.IndexOf(LatencyHistogram.MaxTrackable));
        Assert.Equal(LatencyHistogram.BucketCount - 1, LatencyHistogram.IndexOf(long.MaxValue));
        Assert.InRange(LatencyHistogram.BucketCount, 1000, 4096);
        Assert.Equal(0, new LatencyHistogram().ValueAtPercentile(99));
        Assert.Throws<ArgumentOutOfRangeException>(() => h.ValueAtPercentile(100.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => h.ValueAtPercentile(double.NaN));
    }

    [Fact]
    public void Buckets_TileTheRange_EachWithinOneSixtyFourthOfItsValue()
    {
        for (var i = 0; i < LatencyHistogram.BucketCount - 1; i++)
        {
            var low = LatencyHistogram.LowestEquivalent(i);
            var high = LatencyHistogram.HighestEquivalent(i);
            Assert.Equal(i, LatencyHistogram.IndexOf(low));
            Assert.Equal(i, LatencyHistogram.IndexOf(high));
            Assert.Equal(high + 1, LatencyHistogram.LowestEquivalent(i + 1));
            Assert.True(high - low <= Math.Max(0, low / 64), $"bucket {i}: {low}..{high}");
        }
    }
}

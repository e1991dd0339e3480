using System.Numerics;

namespace Ferry.Client.Bench;

/// <summary>
/// A log-linear (HDR-style) histogram of microsecond values in fixed memory: values below 128 are exact; above, each
/// power of two is split into 64 linear buckets, so a value is known within 1/64 (about 2 significant digits).
/// <code>
///  index  0..127                      value = index
///  index  128 + (e-1)*64 + (m-64)     value in [m &lt;&lt; e, (m+1) &lt;&lt; e), e = floor(log2 v) - 6, m = v &gt;&gt; e in 64..127
/// </code>
/// One per client (no locks on the hot path); <see cref="Add"/> merges them for the report. Values over
/// <see cref="MaxTrackable"/> (a day) count in the last bucket; <see cref="Max"/> keeps the true largest.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 7;
    private const int SubBucketCount = 1 << SubBucketBits; // 128
    private const int SubBucketHalf = SubBucketCount / 2; // 64

    /// <summary>The largest value with its own bucket: 24 hours in microseconds (below 2^37).</summary>
    public const long MaxTrackable = 24L * 3600 * 1_000_000;

    /// <summary>Buckets in every histogram (fixed, about 16 KiB of counts): up to the one holding <see cref="MaxTrackable"/>.</summary>
    public static readonly int BucketCount = IndexOf(MaxTrackable) + 1;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    public long Min { get; private set; } = long.MaxValue;

    public long Max { get; private set; }

    public double Sum { get; private set; }

    public double Mean => Count == 0 ? 0 : Sum / Count;

    /// <summary>Records one value (negative counts as 0).</summary>
    public void Record(long value)
    {
        if (value < 0)
        {
            value = 0;
        }

        _counts[IndexOf(value)]++;
        Count++;
        Sum += value;
        if (value < Min)
        {
            Min = value;
        }

        if (value > Max)
        {
            Max = value;
        }
    }

    /// <summary>Adds every count of <paramref name="other"/> to this one.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Sum += other.Sum;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>
    /// The value at or below which <paramref name="percentile"/> percent of the values lie: the highest value of the
    /// bucket holding the ceil(p/100 * count)-th smallest value (never above <see cref="Max"/>); 0 when empty.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        if (double.IsNaN(percentile) || percentile is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "a percentile is between 0 and 100");
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Max(Math.Min(HighestEquivalent(i), Max), Min);
            }
        }

        return Max;
    }

    internal static int IndexOf(long value)
    {
        if (value < SubBucketCount)
        {
            return (int)value;
        }

        if (value > MaxTrackable)
        {
            value = MaxTrackable;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)value) - (SubBucketBits - 1);
        var mantissa = (int)(value >> exponent); // 64..127
        return SubBucketCount + ((exponent - 1) * SubBucketHalf) + (mantissa - SubBucketHalf);
    }

    /// <summary>The lowest value of bucket <paramref name="index"/>.</summary>
    internal static long LowestEquivalent(int index)
    {
        if (index < SubBucketCount)
        {
            return index;
        }

        var exponent = ((index - SubBucketCount) / SubBucketHalf) + 1;
        var mantissa = ((index - SubBucketCount) % SubBucketHalf) + SubBucketHalf;
        return (long)mantissa << exponent;
    }

    /// <summary>The highest value of bucket <paramref name="index"/>.</summary>
    internal static long HighestEquivalent(int index) =>
        index + 1 < BucketCount ? LowestEquivalent(index + 1) - 1 : long.MaxValue;
}

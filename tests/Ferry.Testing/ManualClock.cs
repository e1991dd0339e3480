namespace Ferry.Testing;

/// <summary>A clock the test sets or moves by hand; timers still run on real time.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public static ManualClock AtNow() => new(DateTimeOffset.UtcNow);

    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

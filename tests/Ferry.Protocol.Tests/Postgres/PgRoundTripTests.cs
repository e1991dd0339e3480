using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.Postgres;

public sealed class PgRoundTripTests
{
    [Theory]
    [MemberData(nameof(PgRoundTripCases.All), MemberType = typeof(PgRoundTripCases))]
    public void Message_WrittenThenRead_SplitAtEveryOffsetAndTruncated_GivesSameFields(string name, char kind, byte[] bytes, string expected)
    {
        _ = name;
        SplitHarness.AssertEverySplit(bytes, PgRoundTripCases.ReaderFor(kind), expected);
    }
}

using Ferry.Protocol.Tests.Support;

namespace Ferry.Protocol.Tests.MySql;

public sealed class MyRoundTripTests
{
    [Theory]
    [MemberData(nameof(MyRoundTripCases.All), MemberType = typeof(MyRoundTripCases))]
    public void Packet_WrittenThenRead_SplitAtEveryOffsetAndTruncated_GivesSameFields(string name, char kind, byte[] bytes, string expected)
    {
        _ = name;
        SplitHarness.AssertEverySplit(bytes, MyRoundTripCases.ReaderFor(kind), expected);
    }
}

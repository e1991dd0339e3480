namespace Ferry.Client.Tests;

/// <summary><c>ferry login --request-id</c> checks ids before anything is sent: bounded, few, and shaped like the ids the API hands out.</summary>
public sealed class AccessRequestLoginTests
{
    private const string Id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    [Fact]
    public void CheckIds_SplitsCommas_DropsRepeats_AndKeepsOrder()
    {
        var other = Id[..^1] + "c";
        Assert.Equal([Id, other], AccessRequestLogin.CheckIds([Id + ", " + other, Id]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../v1/admin")]
    [InlineData("id with spaces")]
    [InlineData("0193a1b2?state=approved")]
    public void CheckIds_RefusesWhatIsNotAnId(string id)
    {
        Assert.Throws<FerryClientException>(() => AccessRequestLogin.CheckIds([id]));
    }

    [Fact]
    public void CheckIds_RefusesTooLongIds_AndTooManyIds_SayingTheLimit()
    {
        var longId = new string('a', AccessRequestLogin.MaxIdLength + 1);
        var e = Assert.Throws<FerryClientException>(() => AccessRequestLogin.CheckIds([longId]));
        Assert.DoesNotContain(longId, e.Message, StringComparison.Ordinal);
        var many = Enumerable.Range(0, AccessRequestLogin.MaxRequestIds + 1).Select(i => Id[..^2] + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture));
        e = Assert.Throws<FerryClientException>(() => AccessRequestLogin.CheckIds(many));
        Assert.Contains("at most 8", e.Message, StringComparison.Ordinal);
        Assert.Single(AccessRequestLogin.CheckIds([new string('a', AccessRequestLogin.MaxIdLength)]));
    }
}

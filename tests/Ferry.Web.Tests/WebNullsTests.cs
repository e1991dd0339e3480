using System.Net;

namespace Ferry.Web.Tests;

/// <summary>
/// Web API bodies with a JSON null where a value must be (an entry of a list, a field): a 400 saying what is wrong,
/// never a 500, and the session carries on.
/// </summary>
public sealed class WebNullsTests
{
    [Theory]
    [InlineData("/web/api/requests", """{"roles":[null],"reason":"incident 7"}""")]
    [InlineData("/web/api/requests", """{"roles":["dba"],"resources":[null],"reason":"incident 7"}""")]
    [InlineData("/web/api/requests", """{"roles":null,"resources":null,"reason":null}""")]
    [InlineData("/web/api/consoles", """{"database":null,"db_user":null,"db_name":null}""")]
    [InlineData("/web/api/login", """{"user":null,"password":null,"otp":null}""")]
    public async Task ABodyWithANull_IsRefusedWith400_AndTheSessionCarriesOn(string path, string body)
    {
        await using var host = await WebTestHost.StartAsync();
        var alice = await host.AddUserAsync("alice");
        using var browser = host.Browser();
        (await browser.LoginAsync(alice, host.Otp(alice))).Dispose();

        using var response = await browser.SendAsync(HttpMethod.Post, path, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var session = await browser.GetAsync("/web/api/session");
        Assert.Equal(HttpStatusCode.OK, session.StatusCode);
    }
}

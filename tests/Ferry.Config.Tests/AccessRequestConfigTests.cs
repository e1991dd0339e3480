using Ferry.Config;

namespace Ferry.Config.Tests;

public sealed class AccessRequestConfigTests
{
    [Fact]
    public void AccessRequestsAndWebhook_AreRead_WithDefaults()
    {
        var c = FerryConfigParser.Parse("""
            auth:
              access_requests:
                pending_ttl: 30m
                max_pending_per_user: 3
            notifications:
              webhook:
                url: https://hooks.example.com/ferry
                secret_file: /etc/ferry/webhook.secret
                timeout: 2s
            """);

        Assert.Equal(TimeSpan.FromMinutes(30), c.Auth!.AccessRequests.PendingTtl);
        Assert.Equal(3, c.Auth.AccessRequests.MaxPendingPerUser);
        Assert.Equal(TimeSpan.FromSeconds(30), c.Auth.AccessRequests.SweepInterval);
        Assert.Equal(new Uri("https://hooks.example.com/ferry"), c.Webhook!.Url);
        Assert.Equal("/etc/ferry/webhook.secret", c.Webhook.SecretFile);
        Assert.Equal(TimeSpan.FromSeconds(2), c.Webhook.Timeout);
        Assert.Equal(5, c.Webhook.MaxAttempts);

        var defaults = FerryConfigParser.Parse("auth: {}\n");
        Assert.Equal(TimeSpan.FromHours(1), defaults.Auth!.AccessRequests.PendingTtl);
        Assert.Null(defaults.Webhook);
    }

    [Theory]
    [InlineData("auth:\n  access_requests:\n    pending_ttl: 10s\n", "f.yaml:3:18: auth.access_requests.pending_ttl: must be between 1m and 7d")]
    [InlineData("auth:\n  access_requests:\n    max_pending_per_user: 0\n", "auth.access_requests.max_pending_per_user")]
    [InlineData("auth:\n  access_requests:\n    pending: 1h\n", "auth.access_requests.pending: unknown key")]
    [InlineData("notifications:\n  webhook:\n    url: ftp://x/y\n    secret_file: /s\n", "f.yaml:3:10: notifications.webhook.url: expected an http:// or https:// URL")]
    [InlineData("notifications:\n  webhook:\n    url: https://x/y\n", "notifications.webhook.secret_file: missing")]
    [InlineData("notifications:\n  webhook:\n    url: https://x/y\n    secret_file: /s\n    timeout: 5m\n", "notifications.webhook.timeout: must be between 100ms and 1m")]
    [InlineData("notifications:\n  slack: {}\n", "notifications.slack: unknown key")]
    public void BadValues_NameTheKeyAndLine(string yaml, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => FerryConfigParser.Parse(yaml, "f.yaml"));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}

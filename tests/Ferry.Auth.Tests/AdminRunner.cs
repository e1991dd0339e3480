using System.CommandLine;
using System.Text.Json;
using Ferry.Auth.Admin;

namespace Ferry.Auth.Tests;

/// <summary>Runs <c>admin ...</c> as the daemon would mount it, capturing output.</summary>
internal static class AdminRunner
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(string dataDir, params string[] args) =>
        await RunWithInputAsync(dataDir, "", args);

    public static async Task<(int Code, string Out, string Err)> RunWithInputAsync(string dataDir, string input, params string[] args)
    {
        var root = new RootCommand { AdminCommand.Create(new StringReader(input)) };
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await root.Parse(["admin", "--data-dir", dataDir, "--cluster", "test", .. args])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    /// <summary><c>users add NAME --roles ROLES --format json</c>; returns (password, totp secret).</summary>
    public static async Task<(string Password, string Secret, string Uri)> AddUserAsync(string dataDir, string name, string roles, params string[] extra)
    {
        var (code, output, error) = await RunAsync(dataDir, ["users", "add", name, "--roles", roles, "--format", "json", .. extra]);
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        return (doc.RootElement.GetProperty("password").GetString()!, doc.RootElement.GetProperty("totp_secret").GetString()!, doc.RootElement.GetProperty("otpauth_uri").GetString()!);
    }
}

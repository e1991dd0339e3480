using Ferry.Client;
using Ferry.Text;

namespace Ferry.Cli.Commands;

/// <summary>The single sign-on half of <c>ferry login</c> (<c>--sso [NAME]</c>, <c>--browser</c>), once the cluster is trusted.</summary>
internal static class LoginSsoCommand
{
    public static async Task<int> RunAsync(FerryPaths paths, ClusterTrust cluster, string? connectorName, string? browser, string? mySqlProxy, CancellationToken ct)
    {
        var connectors = await SsoLogin.ListConnectorsAsync(cluster, ct).ConfigureAwait(false);
        var connector = SsoLogin.Choose(connectors, connectorName, cluster.Address);
        var label = string.IsNullOrEmpty(connector.DisplayName) || connector.DisplayName == connector.Name
            ? connector.Name
            : $"{connector.DisplayName} ({connector.Name})";
        using var session = await SsoLogin.LoginAsync(paths, cluster, connector, (address, until) =>
        {
            var opened = Browser.TryOpen(address, browser);
            Console.Error.WriteLine(opened
                ? $"Opened a browser to log in with {label}. If it did not open, visit this address:"
                : $"Open this address in a browser to log in with {label}:");
            Console.Error.WriteLine("  " + address.AbsoluteUri);
            Console.Error.WriteLine($"Waiting up to {DurationText.Format(until - DateTimeOffset.UtcNow)} for the browser (Ctrl-C to cancel)…");
        }, mySqlProxy, SsoLogin.DefaultTimeout, ct).ConfigureAwait(false);
        return await LoginCommands.ReportAsync(session, paths, ct).ConfigureAwait(false);
    }

    /// <summary>The options that belong to a password login, if any was given with <c>--sso</c>.</summary>
    public static string? Conflict(bool user, bool passwordStdin, bool otp) =>
        user ? "--user" : passwordStdin ? "--password-stdin" : otp ? "--otp" : null;
}

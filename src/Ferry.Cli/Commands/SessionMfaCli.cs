using System.CommandLine;
using Ferry.Client;
using Ferry.Text;

namespace Ferry.Cli.Commands;

/// <summary>The session-MFA options of <c>ferry db login|connect</c> and <c>ferry proxy db</c>: <c>--otp</c>, <c>--mfa</c>, <c>--browser</c>.</summary>
internal static class SessionMfaCli
{
    public static Option<string> MfaOption() => new("--mfa")
    {
        Description = "How to pass MFA for a database that requires it per session: auto (default: a code given with --otp/FERRY_OTP; "
            + "else, after `ferry login --sso` with a connector that trusts the provider's MFA, sign in at the provider again; else ask for a one-time code), sso, or otp",
    };

    public static Option<string> BrowserOption() => new("--browser")
    {
        Description = "For MFA at the identity provider: the browser command to open its page with, or none to only print the address (default: $BROWSER, else xdg-open)",
    };

    /// <summary>The options for <paramref name="command"/> (named in messages), from the parsed values.</summary>
    public static SessionMfaOptions Create(string? otp, string? mfa, string? browser, bool codesFromStdin, string command)
    {
        var method = SessionMfaOptions.ParseMethod(mfa);
        var given = !string.IsNullOrWhiteSpace(otp) || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(OtpPrompts.EnvironmentVariable));
        if (method == SessionMfaMethod.Sso && !string.IsNullOrWhiteSpace(otp))
        {
            throw new FerryClientException("--otp is a one-time code and --mfa=sso signs in at the identity provider: pass one of them");
        }

        return new SessionMfaOptions
        {
            Method = method,
            Otp = OtpPrompts.Create(otp, codesFromStdin),
            OtpGiven = given,
            Command = command,
            OpenBrowser = (address, until) =>
            {
                var opened = Browser.TryOpen(address, browser);
                Console.Error.WriteLine(opened
                    ? "ferry: MFA: opened a browser to sign in at the identity provider again. If it did not open, visit this address:"
                    : "ferry: MFA: open this address in a browser and sign in at the identity provider again:");
                Console.Error.WriteLine("  " + address.AbsoluteUri);
                Console.Error.WriteLine($"Waiting up to {DurationText.Format(until - DateTimeOffset.UtcNow)} for the browser (Ctrl-C to cancel)…");
            },
        };
    }
}

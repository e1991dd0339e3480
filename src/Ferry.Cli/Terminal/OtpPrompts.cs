using Ferry.Client;

namespace Ferry.Cli;

/// <summary>
/// Where <c>ferry</c> gets one-time codes for session MFA: <c>--otp</c> (then <c>FERRY_OTP</c>) for the first code
/// only (a code is accepted once), then the terminal; <c>ferry proxy db</c> without a terminal reads one code per
/// line of its standard input (which nothing else uses there).
/// </summary>
internal static class OtpPrompts
{
    public const string EnvironmentVariable = "FERRY_OTP";

    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static OtpPrompt Create(string? given, bool codesFromStdin)
    {
        var first = string.IsNullOrWhiteSpace(given) ? Environment.GetEnvironmentVariable(EnvironmentVariable) : given;
        return async (reason, ct) =>
        {
            await Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (!string.IsNullOrWhiteSpace(first))
                {
                    var code = first;
                    first = null;
                    return code;
                }

                if (Prompt.IsInteractive)
                {
                    Console.Error.WriteLine("ferry: " + reason);
                    return Prompt.ReadSecret("One-time code: ");
                }

                if (codesFromStdin && Console.IsInputRedirected)
                {
                    Console.Error.WriteLine("ferry: " + reason + " (reading a one-time code from standard input)");
                    return await Console.In.ReadLineAsync(ct).ConfigureAwait(false);
                }

                return null;
            }
            finally
            {
                Gate.Release();
            }
        };
    }
}

using System.CommandLine;
using System.Security.Authentication;
using Ferry.Client;

namespace Ferry.Cli;

/// <summary>Shared plumbing: one-line errors instead of stack traces, the paths, text output.</summary>
internal static class Cli
{
    public const int Failure = 1;

    /// <summary>Wraps an action so every expected failure prints one line "ferry: cause: fix" and exits 1.</summary>
    public static void SetGuardedAction(this Command command, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                return await action(parse, ct).ConfigureAwait(false);
            }
            catch (FerryClientException e)
            {
                return Fail(e.Message);
            }
            catch (AuthenticationException e)
            {
                return Fail("TLS failed: " + e.Message);
            }
            catch (UnauthorizedAccessException e)
            {
                return Fail(e.Message + ": check the permissions of " + FerryPaths.FromEnvironment().Root);
            }
            catch (IOException e)
            {
                return Fail(e.Message);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return 130;
            }
        });

    public static int Fail(string message)
    {
        Console.Error.WriteLine("ferry: " + message);
        return Failure;
    }

    public static FerryPaths Paths => FerryPaths.FromEnvironment();

    /// <summary>Option <c>--format text|json</c>.</summary>
    public static Option<string> FormatOption(string defaultFormat = "text")
    {
        var option = new Option<string>("--format") { Description = "Output format: text or json", DefaultValueFactory = _ => defaultFormat };
        option.AcceptOnlyFromAmong("text", "json");
        return option;
    }
}

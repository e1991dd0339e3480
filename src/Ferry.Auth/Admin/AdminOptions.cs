using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ferry.Auth.AuditPipeline;
using Ferry.Rbac;
using Ferry.Text;

namespace Ferry.Auth.Admin;

/// <summary>Options shared by every admin subcommand, and the run helper that opens the data dir.</summary>
internal sealed class AdminOptions
{
    public const string DefaultDataDir = "/var/lib/ferry";

    public Option<string> DataDir { get; } = new("--data-dir")
    {
        Description = "Auth data directory (default: $FERRY_DATA_DIR or /var/lib/ferry)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FERRY_DATA_DIR") is { Length: > 0 } d ? d : DefaultDataDir,
    };

    public Option<string> Cluster { get; } = new("--cluster")
    {
        Description = "Cluster name used when the CAs are created",
        Recursive = true,
        DefaultValueFactory = _ => "ferry",
    };

    public Option<string> Format { get; } = new("--format")
    {
        Description = "Output format: table or json",
        Recursive = true,
        DefaultValueFactory = _ => "table",
    };

    public bool Json(ParseResult result) => result.GetValue(Format) == "json";

    /// <summary>Opens the auth state, runs <paramref name="action"/>, maps refusals to exit code 1 with a message.</summary>
    public async Task<int> RunAsync(ParseResult result, Func<AuthService, TextWriter, Task> action, CancellationToken ct)
    {
        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        var format = result.GetValue(Format);
        if (format is not ("table" or "json"))
        {
            await error.WriteLineAsync($"--format must be table or json, not \"{format}\"").ConfigureAwait(false);
            return 1;
        }

        var dataDir = result.GetValue(DataDir)!;
        try
        {
            Ferry.Text.OwnerOnlyFiles.CreateDirectory(dataDir);
            var audit = new AdminAuditSpool(dataDir);
            await using (audit.ConfigureAwait(false))
            {
                var service = AuthService.Open(new AuthServiceOptions { DataDir = dataDir, ClusterName = result.GetValue(Cluster)!, ServerId = "admin@" + Environment.MachineName, SweepAccessRequests = false }, audit);
                await using (service.ConfigureAwait(false))
                {
                    await action(service, output).ConfigureAwait(false);
                }
            }

            return 0;
        }
        catch (AuthException e)
        {
            await error.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
        }
        catch (RoleValidationException e)
        {
            await error.WriteLineAsync(e.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            await error.WriteLineAsync($"error: {e.Message} (data dir {dataDir})").ConfigureAwait(false);
        }

        return 1;
    }

    public static string ToJson<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.Serialize(value, type);

    /// <summary>An <c>ls</c> command: the list as JSON with <c>--format json</c>, else a table under <paramref name="headers"/>.</summary>
    public Command ListCommand<T>(string description, Func<AuthService, CancellationToken, Task<List<T>>> list, JsonTypeInfo<List<T>> json, string[] headers, Func<T, IReadOnlyList<string>> row)
    {
        var ls = new Command("ls", description);
        ls.SetAction((r, ct) => RunAsync(r, async (s, w) =>
        {
            var items = await list(s, ct).ConfigureAwait(false);
            await w.WriteAsync(Json(r) ? ToJson(items, json) + "\n" : TextTable.RenderUnderlined(headers, items.Select(row))).ConfigureAwait(false);
        }, ct));
        return ls;
    }

    /// <summary>An <c>rm</c> command with one argument: removes it as the operator, then says what went.</summary>
    public Command RemoveCommand(string description, Argument<string> argument, Func<AuthService, string, CancellationToken, Task> remove, Func<string, string> removed)
    {
        var rm = new Command("rm", description) { argument };
        rm.SetAction((r, ct) => RunAsync(r, async (s, w) =>
        {
            var value = r.GetValue(argument)!;
            await remove(s, value, ct).ConfigureAwait(false);
            await w.WriteLineAsync(removed(value)).ConfigureAwait(false);
        }, ct));
        return rm;
    }

    /// <summary>The operator running the command, for audit events.</summary>
    public static string Actor => "admin:" + Environment.UserName;
}

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

    public Option<string?> Config { get; } = new("--config")
    {
        Description = "ferry.yaml of the auth service: its data_dir, cluster_name and auth.backend are used (an explicit --data-dir still wins)",
        Recursive = true,
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

        if (Resolve(result, error) is not { } target)
        {
            return 1;
        }

        var dataDir = target.DataDir;
        try
        {
            Ferry.Text.OwnerOnlyFiles.CreateDirectory(dataDir);
            var audit = new AdminAuditSpool(dataDir);
            await using (audit.ConfigureAwait(false))
            {
                var service = await AuthService.OpenAsync(new AuthServiceOptions { DataDir = dataDir, ClusterName = target.Cluster, ServerId = "admin@" + Environment.MachineName, SweepAccessRequests = false, Backend = target.Backend }, audit, ct).ConfigureAwait(false);
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
        catch (Npgsql.NpgsqlException e)
        {
            await error.WriteLineAsync($"error: the PostgreSQL backend: {e.Message}").ConfigureAwait(false);
        }

        return 1;
    }

    /// <summary>The data directory, cluster name and backend the command works on; null after an error line.</summary>
    public AdminTarget? Resolve(ParseResult result, TextWriter error)
    {
        var dataDir = result.GetValue(DataDir)!;
        var cluster = result.GetValue(Cluster)!;
        if (result.GetValue(Config) is not { } path)
        {
            return new AdminTarget(dataDir, cluster, new Ferry.Config.BackendConfig());
        }
        var config = Ferry.Config.FerryConfigParser.LoadForCommand(path, "", error);
        if (config is null)
        {
            return null;
        }
        var explicitDataDir = result.GetResult(DataDir) is { Implicit: false };
        var explicitCluster = result.GetResult(Cluster) is { Implicit: false };
        return new AdminTarget(explicitDataDir ? dataDir : config.DataDir, explicitCluster ? cluster : config.ClusterName, config.Auth?.Backend ?? new Ferry.Config.BackendConfig(), config.Auth?.AuditStore ?? Ferry.Config.AuditStoreKind.Segments);
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

/// <summary>What an admin command works on: the data directory (CAs, audit, SQLite), the cluster name, the backend, the audit store.</summary>
internal sealed record AdminTarget(string DataDir, string Cluster, Ferry.Config.BackendConfig Backend, Ferry.Config.AuditStoreKind AuditStore = Ferry.Config.AuditStoreKind.Segments);

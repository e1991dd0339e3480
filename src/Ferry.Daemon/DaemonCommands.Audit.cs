using System.CommandLine;
using Ferry.Audit;
using Ferry.Auth.AuditPipeline;
using Ferry.Config;

namespace Ferry.Daemon;

internal static partial class DaemonCommands
{
    /// <summary>
    /// <c>ferryd audit verify</c>: walks the hash chain of the audit store and names the first broken event. With
    /// <c>--config</c>, the store that configuration uses (the PostgreSQL table with <c>auth.audit_store: postgres</c>,
    /// else <c>data_dir/audit</c>); without, the segments under <c>--data-dir</c>.
    /// </summary>
    private static Command CreateAuditCommand()
    {
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "The auth data directory (segment store; ignored with --config)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FERRY_DATA_DIR") is { Length: > 0 } d ? d : "/var/lib/ferry",
        };
        var config = new Option<FileInfo?>("--config", "-c") { Description = "ferry.yaml: verify the audit store it configures (PostgreSQL or segments)." };
        var verify = new Command("verify", "Verify the audit store's hash chain; exits 1 and names the first broken event on any edit, deletion or reordering.") { dataDir, config };
        verify.SetAction(parse =>
        {
            var dir = Path.Combine(parse.GetValue(dataDir)!, "audit");
            if (parse.GetValue(config) is { } file)
            {
                FerryConfig cfg;
                try
                {
                    cfg = FerryConfigParser.Load(file.FullName);
                }
                catch (ConfigException ex)
                {
                    Console.Error.WriteLine($"error: {ex.Message}");
                    return 2;
                }

                if (cfg.Auth is { AuditStore: AuditStoreKind.Postgres } auth)
                {
                    AuditVerifyResult pg;
                    try
                    {
                        pg = PostgresAuditStore.VerifyDatabase(auth.Backend.ConnString!);
                    }
                    catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
                    {
                        Console.Error.WriteLine($"error: cannot read the audit table in PostgreSQL: {ex.Message}");
                        return 2;
                    }

                    if (pg.Ok)
                    {
                        Console.Out.WriteLine($"audit store OK: {pg.EventsChecked} events in PostgreSQL table ferry_audit, chain intact");
                        return 0;
                    }

                    Console.Out.WriteLine($"audit store BROKEN: {pg.FirstBroken}");
                    return 1;
                }

                dir = Path.Combine(cfg.DataDir, "audit");
            }

            if (!Directory.Exists(dir))
            {
                Console.Error.WriteLine($"error: no audit store at {dir}");
                return 2;
            }
            var result = AuditVerifier.Verify(dir);
            if (result.Ok)
            {
                Console.Out.WriteLine($"audit store OK: {result.EventsChecked} events in {result.SegmentsChecked} segments, chain intact");
                return 0;
            }
            Console.Out.WriteLine($"audit store BROKEN: {result.FirstBroken}");
            return 1;
        });
        return new Command("audit", "Audit store maintenance") { verify };
    }
}

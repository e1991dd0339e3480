using System.CommandLine;
using Ferry.Audit;

namespace Ferry.Daemon;

internal static partial class DaemonCommands
{
    /// <summary><c>ferryd audit verify</c>: walks the hash chain of the audit store and names the first broken event.</summary>
    private static Command CreateAuditCommand()
    {
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "The auth data directory",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FERRY_DATA_DIR") is { Length: > 0 } d ? d : "/var/lib/ferry",
        };
        var verify = new Command("verify", "Verify the audit store's hash chain; exits 1 and names the first broken event on any edit, deletion or reordering.") { dataDir };
        verify.SetAction(parse =>
        {
            var dir = Path.Combine(parse.GetValue(dataDir)!, "audit");
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

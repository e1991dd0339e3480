using System.CommandLine;
using Ferry.Contracts;

namespace Ferry.Auth.Admin;

/// <summary><c>locks add|ls|rm</c>.</summary>
internal static class AdminLocks
{
    public static Command Create(AdminOptions o)
    {
        var locks = new Command("locks", "Lock users, roles or databases: new connections are refused and live ones closed");

        var user = new Option<string>("--user") { Description = "Lock this user" };
        var role = new Option<string>("--role") { Description = "Lock everyone holding this role" };
        var database = new Option<string>("--database") { Description = "Lock this database service" };
        var request = new Option<string>("--access-request") { Description = "Lock this access request id: certificates naming it are refused, live sessions using it end" };
        var message = new Option<string>("--message") { Description = "Why (shown to whoever is refused)" };
        var ttl = new Option<string>("--ttl") { Description = "Expire after, e.g. 1h (default: until removed)" };
        var add = new Command("add", "Create a lock (exactly one of --user, --role, --database, --access-request)") { user, role, database, request, message, ttl };
        add.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var targets = new[] { (LockTargetKind.User, r.GetValue(user)), (LockTargetKind.Role, r.GetValue(role)), (LockTargetKind.Database, r.GetValue(database)), (LockTargetKind.AccessRequest, r.GetValue(request)) }
                .Where(t => !string.IsNullOrEmpty(t.Item2)).ToArray();
            if (targets.Length != 1)
            {
                throw AuthException.BadRequest("give exactly one of --user, --role, --database, --access-request");
            }

            TimeSpan? lifetime = r.GetValue(ttl) is { Length: > 0 } t ? AdminTokens.ParseTtl(t) : null;
            var l = await s.AddLockAsync(targets[0].Item1, targets[0].Item2!, r.GetValue(message), lifetime, AdminOptions.Actor, ct).ConfigureAwait(false);
            await w.WriteLineAsync(o.Json(r) ? AdminOptions.ToJson(l, AuthApiJsonContext.Default.LockInfo) : $"lock {l.Id}: {l.Describe()}").ConfigureAwait(false);
        }, ct));
        locks.Add(add);

        locks.Add(o.ListCommand("List locks", (s, ct) => s.ListLocksAsync(ct), AuthApiJsonContext.Default.ListLockInfo, ["ID", "KIND", "TARGET", "EXPIRES", "MESSAGE"],
            l => [l.Id, l.Kind, l.Target, l.ExpiresAt is { } e ? AdminTokens.Time(e) : "never", l.Message ?? ""]));

        locks.Add(o.RemoveCommand("Remove a lock", new Argument<string>("id"), (s, id, ct) => s.RemoveLockAsync(id, AdminOptions.Actor, ct), id => $"lock {id} removed"));
        return locks;
    }
}

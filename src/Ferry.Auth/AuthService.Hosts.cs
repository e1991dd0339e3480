using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Hosts;
using Ferry.Auth.Model;
using Ferry.Contracts;
using Ferry.Identity;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    private static readonly TimeSpan SeenWriteInterval = TimeSpan.FromMinutes(1);
    private HostRefusals? _hostRefusals;

    internal HostRefusals HostRefusals => _hostRefusals ??= new HostRefusals(_time);

    /// <summary>
    /// Refuses (401) a verified host certificate whose host is not registered: never joined, or removed with
    /// <c>ferryd admin hosts rm</c>, or registered with another role. Read from the backend on every call, so a
    /// removal (also by <c>ferryd admin</c> in another process) takes effect at once. Notes when the host was last seen.
    /// </summary>
    public async Task RequireRegisteredHostAsync(HostIdentity host, string address, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.Role == HostRole.Auth)
        {
            return; // auth servers hold their certificates from the CA directly; they never join
        }

        var role = WireNames.ToName(host.Role);
        var record = await Backend.GetAsync(BackendKeys.Host(host.HostId), StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false);
        var reason = record is null
            ? $"host \"{host.HostId}\" is not registered (never joined, or removed): join again with a new token"
            : record.Role != role ? $"host \"{host.HostId}\" is registered as {record.Role}, not {role}" : null;
        if (reason is not null)
        {
            if (HostRefusals.Count(HostRefusals.HostNotRegistered, host.HostId))
            {
                HostAccessLog.HostNotRegistered(HostRefusals.Log, host.HostId, role, address, reason);
                Emit(AuditEventKinds.HostReportRefused, null, false, reason, address,
                    new() { ["host_id"] = host.HostId, ["role"] = role, ["report"] = "request", ["reason"] = HostRefusals.HostNotRegistered });
            }
            throw new AuthException(401, reason);
        }

        var now = Now;
        if (record!.LastSeenAt is not { } seen || now - seen >= SeenWriteInterval || record.Address != address)
        {
            record.LastSeenAt = now;
            record.Address = address;
            await Backend.PutAsync(BackendKeys.Host(host.HostId), record, StorageJsonContext.Default.HostRecord, cancellationToken: ct).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the host of a verified certificate is still registered (for long-lived streams).</summary>
    public async Task<bool> IsHostRegisteredAsync(HostIdentity host, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Role == HostRole.Auth
            || (await Backend.GetAsync(BackendKeys.Host(host.HostId), StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false))?.Role == WireNames.ToName(host.Role);
    }

    /// <summary>Records a host that runs inside this process (all-in-one proxy and agent), so it is listed and checked like a joined one.</summary>
    internal async Task RegisterLocalHostAsync(string hostId, HostRole role, CancellationToken ct = default)
    {
        var now = Now;
        var existing = await Backend.GetAsync(BackendKeys.Host(hostId), StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false);
        await Backend.PutAsync(BackendKeys.Host(hostId), new HostRecord
        {
            HostId = hostId,
            Role = WireNames.ToName(role),
            JoinedAt = existing?.JoinedAt ?? now,
            LastCertificateAt = now,
            LastSeenAt = now,
            Address = "in-process",
        }, StorageJsonContext.Default.HostRecord, cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>ferryd admin certs host</c> for a proxy or agent: registers the host (as a join would) so the certificate
    /// about to be issued works on the host endpoints and for tunnels. Re-issuing for a registered host keeps its
    /// record (joined time, tunnel address); a host id registered with another role is refused (409), since taking it
    /// over would hand that host's database bindings or proxy entry to a certificate of a different job.
    /// Auth servers never join and get no record.
    /// </summary>
    internal async Task RegisterIssuedHostAsync(string hostId, HostRole role, IReadOnlyList<string> dnsNames, DateTimeOffset expires, CancellationToken ct = default)
    {
        if (role == HostRole.Auth)
        {
            return;
        }

        var name = WireNames.ToName(role);
        var existing = await Backend.GetAsync(BackendKeys.Host(hostId), StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false);
        if (existing is not null && existing.Role != name)
        {
            throw AuthException.Conflict($"host \"{hostId}\" is registered as {existing.Role}, not {name}: pick another id, or remove it first with `ferryd admin hosts rm {hostId}`");
        }

        var now = Now;
        var record = existing ?? new HostRecord { HostId = hostId, Role = name, JoinedAt = now, Address = "admin" };
        record.LastCertificateAt = now;
        record.DnsNames = [.. dnsNames];
        record.CertificateExpires = expires;
        await Backend.PutAsync(BackendKeys.Host(hostId), record, StorageJsonContext.Default.HostRecord, cancellationToken: ct).ConfigureAwait(false);
        if (role == HostRole.Proxy)
        {
            _proxyList.Invalidate();
        }
    }

    /// <summary><c>ferryd admin hosts ls</c>.</summary>
    public async Task<List<HostInfo>> ListHostsAsync(CancellationToken ct = default)
    {
        var records = await Backend.RangeAsync(BackendKeys.Hosts, StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false);
        return [.. records.Select(r => new HostInfo
        {
            HostId = r.HostId,
            Role = r.Role,
            Names = r.DnsNames ?? [],
            Address = r.Address ?? "",
            JoinedAt = r.JoinedAt,
            LastSeenAt = r.LastSeenAt,
            CertificateExpires = r.CertificateExpires,
        })];
    }

    /// <summary>
    /// <c>ferryd admin hosts rm</c>: deletes the host record (its certificate is refused on every host endpoint from
    /// now on, renewal included) and releases the database names bound to it.
    /// </summary>
    public async Task RemoveHostAsync(string hostId, string actor, CancellationToken ct = default)
    {
        Names.Require(hostId, "host id");
        var record = await Backend.GetAsync(BackendKeys.Host(hostId), StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false)
            ?? throw AuthException.NotFound($"no host \"{hostId}\": see `hosts ls`");
        await Backend.DeleteAsync(BackendKeys.Host(hostId), ct).ConfigureAwait(false);
        _proxyList.Invalidate();
        var released = 0;
        foreach (var binding in await Backend.RangeAsync(BackendKeys.DatabaseBindings, StorageJsonContext.Default.DatabaseBinding, ct).ConfigureAwait(false))
        {
            if (!binding.Serves(hostId))
            {
                continue;
            }

            // A name shared with other agents stays with them (the first one it was shared with becomes its agent).
            if (WithoutHost(binding, hostId))
            {
                await UpdateBindingAsync(binding.Name, b => WithoutHost(b, hostId), ct).ConfigureAwait(false);
            }
            else if (await Backend.DeleteAsync(BackendKeys.DatabaseBinding(binding.Name), ct).ConfigureAwait(false))
            {
                released++;
            }
        }

        Inventory.RemoveAgent(hostId);
        HostAccessLog.HostRemoved(HostRefusals.Log, hostId, record.Role, actor, released);
        Emit(AuditEventKinds.HostRemove, actor, details: new() { ["host_id"] = hostId, ["role"] = record.Role, ["databases_released"] = released.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }
}

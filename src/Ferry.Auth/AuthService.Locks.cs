using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Auth.Backend;
using Ferry.Auth.Model;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    /// <summary>Locks a user, role or database, optionally for <paramref name="ttl"/> (the backend lease removes it).</summary>
    public async Task<LockInfo> AddLockAsync(string kind, string target, string? message, TimeSpan? ttl, string actor, CancellationToken ct = default)
    {
        if (!LockTargetKind.IsValid(kind))
        {
            throw AuthException.BadRequest($"lock kind \"{kind}\" is unknown: use user, role, database or access_request");
        }

        if (kind == LockTargetKind.AccessRequest)
        {
            if (!IsRequestId(target))
            {
                throw AuthException.BadRequest($"\"{Bounded(target ?? "")}\" is not an access request id (a UUID): see `requests ls`");
            }
        }
        else
        {
            Names.Require(target, kind + " name");
        }
        if (ttl is { } t && t <= TimeSpan.Zero)
        {
            throw AuthException.BadRequest("lock ttl must be positive");
        }

        var now = Now;
        var info = new LockInfo
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Kind = kind,
            Target = target,
            Message = message,
            CreatedAt = now,
            CreatedBy = actor,
            ExpiresAt = ttl is { } lease ? now + lease : null,
        };
        await Backend.PutAsync(BackendKeys.Lock(info.Id), info, StorageJsonContext.Default.LockInfo, ttl, ct).ConfigureAwait(false);
        Emit(AuditEventKinds.LockCreate, actor, details: new() { ["lock"] = info.Id, ["kind"] = kind, ["target"] = target });
        return info;
    }

    public async Task<List<LockInfo>> ListLocksAsync(CancellationToken ct = default) =>
        await Backend.RangeAsync(BackendKeys.Locks, StorageJsonContext.Default.LockInfo, ct).ConfigureAwait(false);

    public async Task RemoveLockAsync(string id, string actor, CancellationToken ct = default)
    {
        Names.Require(id, "lock id");
        if (!await Backend.DeleteAsync(BackendKeys.Lock(id), ct).ConfigureAwait(false))
        {
            throw AuthException.NotFound($"lock \"{id}\" does not exist: see `locks ls`");
        }

        Emit(AuditEventKinds.LockDelete, actor, details: new() { ["lock"] = id });
    }

    /// <summary>Every current lock as <c>put</c>, then <c>synced</c>, then changes as they happen (expiry arrives as <c>delete</c>).</summary>
    public async IAsyncEnumerable<LockWatchEvent> WatchLocksAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        var revision = await Backend.CurrentRevisionAsync(ct).ConfigureAwait(false);
        foreach (var l in await ListLocksAsync(ct).ConfigureAwait(false))
        {
            yield return new LockWatchEvent { Type = LockWatchEvent.Put, Id = l.Id, Lock = l };
        }

        foreach (var h in await Backend.RangeAsync(BackendKeys.Hosts, StorageJsonContext.Default.HostRecord, ct).ConfigureAwait(false))
        {
            yield return new LockWatchEvent { Type = LockWatchEvent.HostPut, HostId = h.HostId, Role = h.Role };
        }

        foreach (var b in await Backend.RangeAsync(BackendKeys.DatabaseBindings, StorageJsonContext.Default.DatabaseBinding, ct).ConfigureAwait(false))
        {
            yield return new LockWatchEvent { Type = LockWatchEvent.BindingPut, Database = b.Name, HostId = b.HostId, SharedWith = b.SharedWith.Count > 0 ? b.SharedWith : null };
        }

        yield return new LockWatchEvent { Type = LockWatchEvent.Synced, Routing = true };
        await foreach (var e in WatchPrefixesAsync([BackendKeys.Locks, BackendKeys.Hosts, BackendKeys.DatabaseBindings], revision, ct).ConfigureAwait(false))
        {
            if (e.Key.StartsWith(BackendKeys.Locks, StringComparison.Ordinal))
            {
                var id = e.Key[BackendKeys.Locks.Length..];
                yield return e.Kind == BackendEventKind.Put && e.Value is not null
                    ? new LockWatchEvent { Type = LockWatchEvent.Put, Id = id, Lock = JsonSerializer.Deserialize(e.Value, StorageJsonContext.Default.LockInfo) }
                    : new LockWatchEvent { Type = LockWatchEvent.Delete, Id = id };
            }
            else if (e.Key.StartsWith(BackendKeys.Hosts, StringComparison.Ordinal))
            {
                var id = e.Key[BackendKeys.Hosts.Length..];
                var record = e.Kind == BackendEventKind.Put && e.Value is not null ? JsonSerializer.Deserialize(e.Value, StorageJsonContext.Default.HostRecord) : null;
                yield return record is not null
                    ? new LockWatchEvent { Type = LockWatchEvent.HostPut, HostId = id, Role = record.Role }
                    : new LockWatchEvent { Type = LockWatchEvent.HostDelete, HostId = id };
            }
            else
            {
                var name = e.Key[BackendKeys.DatabaseBindings.Length..];
                var binding = e.Kind == BackendEventKind.Put && e.Value is not null ? JsonSerializer.Deserialize(e.Value, StorageJsonContext.Default.DatabaseBinding) : null;
                yield return binding is not null
                    ? new LockWatchEvent { Type = LockWatchEvent.BindingPut, Database = name, HostId = binding.HostId, SharedWith = binding.SharedWith.Count > 0 ? binding.SharedWith : null }
                    : new LockWatchEvent { Type = LockWatchEvent.BindingDelete, Database = name };
            }
        }
    }

    /// <summary>The backend's watches of several prefixes from one revision, merged (order is kept within each prefix).</summary>
    private async IAsyncEnumerable<BackendEvent> WatchPrefixesAsync(string[] prefixes, long revision, [EnumeratorCancellation] CancellationToken ct)
    {
        var merged = System.Threading.Channels.Channel.CreateBounded<BackendEvent>(256);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        async Task PumpAsync(string prefix)
        {
            await foreach (var e in Backend.WatchAsync(prefix, revision, stop.Token).ConfigureAwait(false))
            {
                await merged.Writer.WriteAsync(e, stop.Token).ConfigureAwait(false);
            }
        }

        var pumps = Task.WhenAll(prefixes.Select(p => Task.Run(() => PumpAsync(p), stop.Token)));
        _ = pumps.ContinueWith(t => merged.Writer.TryComplete(t.Exception?.GetBaseException()), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (var e in merged.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await pumps.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The watch ended with its reader.
            }
        }
    }
}

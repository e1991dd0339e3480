using Ferry.Contracts;

namespace Ferry.Client;

/// <summary>
/// <c>ferry login --request-id ID</c> and <c>ferry request create --wait</c>: wait for a request's decision, and re-issue
/// the login certificate with approved requests inside (their roles, resources and ids; it ends no later than the grants).
/// </summary>
public static class AccessRequestLogin
{
    /// <summary>The most ids one login names (the server checks every one on each certificate issue).</summary>
    public const int MaxRequestIds = 8;

    /// <summary>Longest accepted id (ids are UUID text; anything longer is a typo or an attack).</summary>
    public const int MaxIdLength = 64;

    /// <summary>The longest pause between two polls of a pending request.</summary>
    public static readonly TimeSpan MaxPollInterval = TimeSpan.FromSeconds(10);

    /// <summary>Checks ids given on the command line: 1 to <see cref="MaxRequestIds"/> distinct ids of letters, digits and '-'.</summary>
    public static IReadOnlyList<string> CheckIds(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids.SelectMany(i => i.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.Ordinal).ToList();
        if (list.Count == 0)
        {
            throw new FerryClientException("no access request id: pass --request-id ID (see `ferry request ls --state approved`)");
        }

        if (list.Count > MaxRequestIds)
        {
            throw new FerryClientException($"{list.Count} access request ids: a login names at most {MaxRequestIds}");
        }

        foreach (var id in list)
        {
            CheckId(id);
        }

        return list;
    }

    /// <summary>Throws a one-line error unless <paramref name="id"/> looks like a request id.</summary>
    public static string CheckId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length == 0 || id.Length > MaxIdLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            var shown = id.Length > MaxIdLength ? id[..MaxIdLength] + "…" : id;
            throw new FerryClientException($"\"{shown}\" is not an access request id: ids are the UUIDs `ferry request ls` shows");
        }

        return id;
    }

    /// <summary>
    /// Re-issues the login certificate (same key) with <paramref name="ids"/> added, stores it like a login does (the
    /// profile's expiry follows it) and returns the reloaded session. The server refuses ids that are not the caller's
    /// approved, unexpired requests, with a message naming the request.
    /// </summary>
    public static async Task<ClientSession> ElevateAsync(ClientSession session, IReadOnlyList<string> ids, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(ids);
        UserCertificateResponse reply;
        using (var api = session.Api())
        {
            reply = await api.IssueUserCertificateAsync(new UserCertificateRequest
            {
                PublicKeyPem = session.Key.ExportPublicKeyPem(),
                AccessRequestIds = [.. ids],
            }, ct).ConfigureAwait(false);
        }

        session.Store.SaveLoginCertificate(reply.CertificatePem, reply.Expires);
        var reloaded = ClientSession.Load(session.Paths);
        var missing = ids.Where(i => !reloaded.Identity.AccessRequestIds.Contains(i, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            reloaded.Dispose();
            throw new FerryClientException($"the new certificate does not name access request {string.Join(", ", missing)}: is the auth service a Ferry version with access requests?");
        }

        return reloaded;
    }

    /// <summary>
    /// Polls <paramref name="id"/> until it is no longer pending, at most until its pending time is over (plus a minute
    /// for the server to mark it expired): 1 s, then doubling up to <see cref="MaxPollInterval"/>. Cancelling
    /// <paramref name="ct"/> (Ctrl-C) stops waiting and leaves the request as it is.
    /// </summary>
    public static async Task<AccessRequestInfo> WaitForDecisionAsync(AuthApiClient api, string id, Action<AccessRequestInfo>? onPending = null, TimeProvider? time = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(api);
        time ??= TimeProvider.System;
        var delay = TimeSpan.FromSeconds(1);
        var request = await api.GetAccessRequestAsync(id, ct).ConfigureAwait(false);
        var giveUp = request.PendingExpires + TimeSpan.FromMinutes(1);
        // Bounded even if the server's clock or answer is off: the pending TTL is capped by the server, this by a day.
        var hardStop = time.GetUtcNow() + TimeSpan.FromDays(1);
        while (request.State == AccessRequestStates.Pending)
        {
            var now = time.GetUtcNow();
            if (now >= giveUp || now >= hardStop)
            {
                throw new FerryClientException($"access request {id} is still pending after its pending time ended: see `ferry request show {id}`");
            }

            onPending?.Invoke(request);
            await Task.Delay(delay, time, ct).ConfigureAwait(false);
            delay = delay * 2 > MaxPollInterval ? MaxPollInterval : delay * 2;
            request = await api.GetAccessRequestAsync(id, ct).ConfigureAwait(false);
        }

        return request;
    }
}

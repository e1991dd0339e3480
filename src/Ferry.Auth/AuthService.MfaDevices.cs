using System.Globalization;
using Ferry.Audit;
using Ferry.Auth.Backend;
using Ferry.Auth.Model;
using Ferry.Auth.Users;
using Ferry.Contracts;
using Ferry.Diagnostics;
using Ferry.Identity;

namespace Ferry.Auth;

/// <summary>
/// TOTP devices a user adds for session MFA (<c>ferry mfa add|ls|rm</c>), stored under the user's name whatever
/// the login (local or SSO, which has no local record). Adding is two steps: the secret is shown once, then the
/// device counts only after its first code confirms it. When the user already has a device (or a local login
/// TOTP), adding or removing one needs a code from an existing one. Codes are single-use per device and failures
/// are throttled per (user, source) like logins.
/// </summary>
public sealed partial class AuthService
{
    /// <summary>How long an added device waits for its first code.</summary>
    public static readonly TimeSpan MfaDevicePendingTtl = TimeSpan.FromMinutes(10);

    /// <summary>Most TOTP devices per user (pending ones included).</summary>
    public const int MaxMfaDevices = 10;

    /// <summary>Longest device name.</summary>
    public const int MaxMfaDeviceNameLength = 64;

    /// <summary>The name of the local login's TOTP in device lists (it cannot be added or removed here).</summary>
    public const string LoginDeviceName = "login";

    /// <summary><c>GET /v1/mfa/devices</c>: the login's TOTP (local users) and the confirmed devices.</summary>
    public async Task<MfaDevicesResponse> ListMfaDevicesAsync(UserIdentity caller, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var record = await Backend.GetAsync(BackendKeys.User(caller.User), StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false);
        var response = new MfaDevicesResponse();
        if (record is { TotpSecret.Length: > 0 })
        {
            response.Devices.Add(new MfaDeviceInfo { Name = LoginDeviceName, Kind = "login", Added = record.CreatedAt });
        }

        foreach (var d in await ConfirmedDevicesAsync(caller.User, ct).ConfigureAwait(false))
        {
            response.Devices.Add(new MfaDeviceInfo { Name = d.Name, Kind = "totp", Added = d.Added });
        }

        return response;
    }

    /// <summary><c>POST /v1/mfa/devices</c>: a new pending device and its secret (shown once).</summary>
    /// <exception cref="AuthException">400 bad name, 401 code missing or wrong, 409 name taken or too many devices, 429 throttled.</exception>
    public async Task<MfaDeviceEnrolment> AddMfaDeviceAsync(UserIdentity caller, MfaDeviceRequest request, string clientAddr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var user = caller.User;
        var name = RequireDeviceName(request.Name);
        var record = await Backend.GetAsync(BackendKeys.User(user), StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false);
        var all = await Backend.RangeAsync(BackendKeys.MfaDevicesOf(user), StorageJsonContext.Default.MfaDeviceRecord, ct).ConfigureAwait(false);
        if (all.Any(d => d.Confirmed && d.Name == name))
        {
            throw DeviceRefused(user, clientAddr, name, "name_taken", 409, $"you already have a TOTP device \"{name}\": pick another name, or remove it first with `ferry mfa rm {name}`");
        }

        if (all.Count(d => d.Name != name) >= MaxMfaDevices)
        {
            throw DeviceRefused(user, clientAddr, name, "too_many", 409, $"you have {MaxMfaDevices} TOTP devices, the most allowed: remove one with `ferry mfa rm NAME`");
        }

        var hasDevice = record is { TotpSecret.Length: > 0 } || all.Any(d => d.Confirmed);
        if (hasDevice)
        {
            if (string.IsNullOrEmpty(request.Otp))
            {
                throw DeviceRefused(user, clientAddr, name, "otp_required", 401, "adding a TOTP device needs a one-time code from one you already have (your login's or one added before): pass it with --otp");
            }

            await RequireDeviceCodeAsync(user, record, request.Otp, clientAddr, name, ct).ConfigureAwait(false);
        }

        var secret = Totp.NewSecret();
        var now = Now;
        await Backend.PutAsync(BackendKeys.MfaDevice(user, name), new MfaDeviceRecord
        {
            Name = name,
            Secret = Base32.Encode(secret),
            Confirmed = false,
            Added = now,
        }, StorageJsonContext.Default.MfaDeviceRecord, MfaDevicePendingTtl, ct).ConfigureAwait(false);
        return new MfaDeviceEnrolment
        {
            Name = name,
            Secret = Base32.Encode(secret),
            Uri = Totp.EnrolmentUri("Ferry " + ClusterName, user + " (" + name + ")", secret),
            ConfirmBy = now + MfaDevicePendingTtl,
        };
    }

    /// <summary><c>POST /v1/mfa/devices/confirm</c>: the first code of a pending device makes it count.</summary>
    public async Task<MfaDevicesResponse> ConfirmMfaDeviceAsync(UserIdentity caller, MfaDeviceRequest request, string clientAddr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var user = caller.User;
        var name = RequireDeviceName(request.Name);
        var otp = RequireOtpField(request.Otp);
        var found = await Backend.GetWithRevisionAsync(BackendKeys.MfaDevice(user, name), StorageJsonContext.Default.MfaDeviceRecord, ct).ConfigureAwait(false);
        if (found is not { Value.Confirmed: false } pending)
        {
            throw DeviceRefused(user, clientAddr, name, "not_pending", 404, $"no TOTP device \"{name}\" waits for its first code (it is confirmed already, or {DurationText(MfaDevicePendingTtl)} passed): run `ferry mfa add {name}` again");
        }

        var source = LoginThrottle.SourceOf(clientAddr);
        await RequireNotThrottledAsync(user, source, clientAddr, name, ct).ConfigureAwait(false);
        var step = Totp.Verify(Base32.Decode(pending.Value.Secret), otp, Now);
        if (step is null || !await ConsumeTotpStepAtAsync(BackendKeys.MfaDeviceUse(user, name), step.Value, ct).ConfigureAwait(false))
        {
            await _throttle.RecordFailureAsync(user, source, ct).ConfigureAwait(false);
            throw DeviceRefused(user, clientAddr, name, "wrong_code", 401, $"the code does not match the new device \"{name}\": check the authenticator's clock and enter the current code");
        }

        await _throttle.RecordSuccessAsync(user, source, ct).ConfigureAwait(false);
        pending.Value.Confirmed = true;
        if (await Backend.CompareAndSwapAsync(BackendKeys.MfaDevice(user, name), pending.Revision, pending.Value, StorageJsonContext.Default.MfaDeviceRecord, cancellationToken: ct).ConfigureAwait(false) is null)
        {
            throw AuthException.Conflict($"the TOTP device \"{name}\" changed meanwhile: run `ferry mfa add {name}` again");
        }

        Emit(AuditEventKinds.MfaDeviceAdd, user, true, null, clientAddr, new() { ["device"] = name }, caller.Roles);
        AuthLog.MfaDeviceChanged(_log, user, name, "added", Bounded(clientAddr));
        return await ListMfaDevicesAsync(caller, ct).ConfigureAwait(false);
    }

    /// <summary><c>POST /v1/mfa/devices/delete</c>: removes a device; a code of any of the user's devices is required.</summary>
    public async Task<MfaDevicesResponse> DeleteMfaDeviceAsync(UserIdentity caller, MfaDeviceRequest request, string clientAddr, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var user = caller.User;
        if (request.Name == LoginDeviceName)
        {
            throw AuthException.BadRequest("the login's TOTP cannot be removed here: an administrator replaces it with `ferryd admin users reset`");
        }

        var name = RequireDeviceName(request.Name);
        var otp = RequireOtpField(request.Otp);
        var found = await Backend.GetAsync(BackendKeys.MfaDevice(user, name), StorageJsonContext.Default.MfaDeviceRecord, ct).ConfigureAwait(false);
        if (found is null)
        {
            throw AuthException.NotFound($"you have no TOTP device \"{name}\": see `ferry mfa ls`");
        }

        var record = await Backend.GetAsync(BackendKeys.User(user), StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false);
        await RequireDeviceCodeAsync(user, record, otp, clientAddr, name, ct).ConfigureAwait(false);
        await Backend.DeleteAsync(BackendKeys.MfaDevice(user, name), ct).ConfigureAwait(false);
        Emit(AuditEventKinds.MfaDeviceDelete, user, true, null, clientAddr, new() { ["device"] = name }, caller.Roles);
        AuthLog.MfaDeviceChanged(_log, user, name, "removed", Bounded(clientAddr));
        return await ListMfaDevicesAsync(caller, ct).ConfigureAwait(false);
    }

    /// <summary>A code from one of the user's existing devices (throttled, single-use), or 401/429.</summary>
    private async Task RequireDeviceCodeAsync(string user, UserRecord? record, string otp, string clientAddr, string device, CancellationToken ct)
    {
        if (otp.Length > MaxOtpLength)
        {
            throw AuthException.BadRequest($"otp is longer than {MaxOtpLength} characters");
        }

        var source = LoginThrottle.SourceOf(clientAddr);
        await RequireNotThrottledAsync(user, source, clientAddr, device, ct).ConfigureAwait(false);
        if (await VerifyUserOtpAsync(user, record, otp, ct).ConfigureAwait(false) is null)
        {
            await _throttle.RecordFailureAsync(user, source, ct).ConfigureAwait(false);
            throw DeviceRefused(user, clientAddr, device, "wrong_code", 401, "the one-time code is wrong or was already used: enter the current code of a device you already have");
        }

        await _throttle.RecordSuccessAsync(user, source, ct).ConfigureAwait(false);
    }

    private async Task RequireNotThrottledAsync(string user, string source, string clientAddr, string device, CancellationToken ct)
    {
        if (await _throttle.RetryAfterAsync(user, source, ct).ConfigureAwait(false) is { } wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            FerryMetrics.Refused(FerryMetrics.Sides.Auth, SessionMfaRefusal.Throttled);
            throw new AuthException(429, string.Create(CultureInfo.InvariantCulture, $"too many failed one-time codes: try again in {seconds}s"), wait);
        }
    }

    private AuthException DeviceRefused(string user, string clientAddr, string device, string reason, int status, string message)
    {
        FerryMetrics.Refused(FerryMetrics.Sides.Auth, "mfa_device_" + reason);
        var boundedUser = Bounded(user);
        var boundedAddr = Bounded(clientAddr);
        if (_loginAudit.Record(boundedUser, boundedAddr, "mfa device: " + reason))
        {
            Emit(AuditEventKinds.MfaDeviceAddFailure, boundedUser, false, message, boundedAddr, new() { ["device"] = device, ["reason"] = reason });
        }

        return new AuthException(status, message);
    }

    private static string RequireDeviceName(string? name)
    {
        name ??= "";
        if (name.Length is 0 or > MaxMfaDeviceNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') || name == LoginDeviceName)
        {
            throw AuthException.BadRequest($"device name is not valid: 1-{MaxMfaDeviceNameLength} letters, digits, _ - . (and not \"{LoginDeviceName}\")");
        }

        return name;
    }

    private static string RequireOtpField(string? otp) =>
        string.IsNullOrEmpty(otp) ? throw AuthException.BadRequest("otp is missing: enter the current code of the device")
        : otp.Length > MaxOtpLength ? throw AuthException.BadRequest($"otp is longer than {MaxOtpLength} characters")
        : otp;

    private static string DurationText(TimeSpan span) => Ferry.Rbac.Duration.Format(span);
}

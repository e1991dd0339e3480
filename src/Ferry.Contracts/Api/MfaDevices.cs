namespace Ferry.Contracts;

/// <summary>
/// <c>POST /v1/mfa/devices</c>: <c>{"name","otp"?}</c> starts adding a TOTP device (<c>otp</c> is a code from an
/// existing device, required when the user has one); <c>POST /v1/mfa/devices/confirm</c>: <c>{"name","otp"}</c> with
/// the first code of the new device; <c>POST /v1/mfa/devices/delete</c>: <c>{"name","otp"}</c> with a code of any device.
/// </summary>
public sealed class MfaDeviceRequest
{
    public string Name { get; set; } = "";

    public string? Otp { get; set; }
}

/// <summary>Answer of <c>POST /v1/mfa/devices</c>: the secret, shown once, and when the pending device is dropped unconfirmed.</summary>
public sealed class MfaDeviceEnrolment
{
    public string Name { get; set; } = "";

    /// <summary>Base32 secret.</summary>
    public string Secret { get; set; } = "";

    /// <summary><c>otpauth://totp/…</c> for authenticator apps.</summary>
    public string Uri { get; set; } = "";

    public DateTimeOffset ConfirmBy { get; set; }
}

/// <summary>One TOTP device in <c>GET /v1/mfa/devices</c>.</summary>
public sealed class MfaDeviceInfo
{
    public string Name { get; set; } = "";

    /// <summary><c>totp</c> (added with <c>ferry mfa add</c>) or <c>login</c> (the local user's login TOTP, cannot be removed here).</summary>
    public string Kind { get; set; } = "";

    public DateTimeOffset? Added { get; set; }
}

/// <summary><c>GET /v1/mfa/devices</c>.</summary>
public sealed class MfaDevicesResponse
{
    public List<MfaDeviceInfo> Devices { get; set; } = [];
}

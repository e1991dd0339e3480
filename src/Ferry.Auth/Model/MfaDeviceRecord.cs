namespace Ferry.Auth.Model;

/// <summary>
/// A TOTP device of a user (<c>/mfa-devices/USER/NAME</c>), local or SSO. Pending (unconfirmed) devices expire after
/// <see cref="AuthService.MfaDevicePendingTtl"/>; a device counts for MFA only once confirmed with its first code.
/// </summary>
internal sealed class MfaDeviceRecord
{
    public string Name { get; set; } = "";

    /// <summary>TOTP secret, base32.</summary>
    public string Secret { get; set; } = "";

    public bool Confirmed { get; set; }

    public DateTimeOffset Added { get; set; }
}

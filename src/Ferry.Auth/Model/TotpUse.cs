namespace Ferry.Auth.Model;

/// <summary>The last TOTP step accepted for a user (<c>/totp/NAME</c>); codes of that step or older are refused.</summary>
internal sealed class TotpUse
{
    public long Step { get; set; }
}

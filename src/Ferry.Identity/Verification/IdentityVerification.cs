using System.Diagnostics.CodeAnalysis;

namespace Ferry.Identity;

/// <summary>The outcome of verifying a certificate: an identity, or a precise failure with a message for people.</summary>
/// <typeparam name="TIdentity"><see cref="UserIdentity"/> or <see cref="HostIdentity"/>.</typeparam>
public sealed class IdentityVerification<TIdentity>
    where TIdentity : class
{
    private IdentityVerification(TIdentity? identity, VerificationFailure failure, string detail, string message, TimeSpan outside)
    {
        Identity = identity;
        Failure = failure;
        Detail = detail;
        Message = message;
        TimeOutsideValidity = outside;
    }

    /// <summary>The verified identity (null on failure).</summary>
    public TIdentity? Identity { get; }

    /// <summary>Why the certificate was rejected, or <see cref="VerificationFailure.None"/>.</summary>
    public VerificationFailure Failure { get; }

    /// <summary>Whether the certificate was accepted.</summary>
    [MemberNotNullWhen(true, nameof(Identity))]
    public bool IsValid => Failure == VerificationFailure.None;

    /// <summary>Technical detail for logs (e.g. which check, which OID).</summary>
    public string Detail { get; }

    /// <summary>Message for the person at the other end, naming the cause and the fix.</summary>
    public string Message { get; }

    /// <summary>For <see cref="VerificationFailure.Expired"/>: how long ago it expired; for <see cref="VerificationFailure.NotYetValid"/>: how long until valid.</summary>
    public TimeSpan TimeOutsideValidity { get; }

    internal static IdentityVerification<TIdentity> Success(TIdentity identity) => new(identity, VerificationFailure.None, "", "certificate accepted", TimeSpan.Zero);

    internal static IdentityVerification<TIdentity> Fail(CaKind kind, VerificationFailure failure, string detail, TimeSpan outside = default) =>
        new(null, failure, detail, VerificationMessages.Describe(kind, failure, detail, outside), outside);
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Identity;

/// <summary>
/// Verifies certificates against the trusted keys of one CA (several during rotation) without the platform
/// chain engine: the DER is parsed once, the issuing key is found by AuthorityKeyIdentifier and issuer name,
/// and the signature is checked directly with that key. Thread-safe; build a new verifier after a rotation step.
/// </summary>
public sealed partial class IdentityVerifier
{
    private readonly TrustedCa[] _cas;
    private readonly TimeProvider _time;

    /// <summary>Creates a verifier for certificates of <paramref name="kind"/> trusting <paramref name="trustedRoots"/> (ECDSA CA certificates).</summary>
    public IdentityVerifier(CaKind kind, IEnumerable<X509Certificate2> trustedRoots, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(trustedRoots);
        Kind = kind;
        _cas = [.. trustedRoots.Select(c => new TrustedCa(c))];
        if (_cas.Length == 0)
        {
            throw new ArgumentException("at least one trusted root is required", nameof(trustedRoots));
        }

        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The CA kind this verifier checks against (used in messages).</summary>
    public CaKind Kind { get; }

    /// <summary>The trusted CA certificates.</summary>
    public IReadOnlyList<X509Certificate2> TrustedRoots => [.. _cas.Select(c => c.Certificate)];

    /// <summary>
    /// A chain policy trusting only these roots, with revocation off, for <c>SslClientAuthenticationOptions.CertificateChainPolicy</c>
    /// or <c>SslServerAuthenticationOptions.CertificateChainPolicy</c>, so the platform's own chain build neither
    /// consults the system store nor the network. Ferry's decision is still made by this verifier.
    /// </summary>
    public X509ChainPolicy CreateChainPolicy() => TlsValidation.TrustOnly(_cas.Select(ca => ca.Certificate));

    private VerificationFailure CheckIssuer(CertificateView view, out string detail)
    {
        HashAlgorithmName hash;
        switch (view.SignatureAlgorithm)
        {
            case "1.2.840.10045.4.3.2":
                hash = HashAlgorithmName.SHA256;
                break;
            case "1.2.840.10045.4.3.3":
                hash = HashAlgorithmName.SHA384;
                break;
            case "1.2.840.10045.4.3.4":
                hash = HashAlgorithmName.SHA512;
                break;
            default:
                detail = "signature algorithm " + view.SignatureAlgorithm + " is not ECDSA";
                return FindCandidate(view) ? VerificationFailure.SignatureInvalid : VerificationFailure.UnknownCa;
        }

        var sawCandidate = false;
        foreach (var ca in _cas)
        {
            if (!IsCandidate(ca, view))
            {
                continue;
            }

            sawCandidate = true;
            if (ca.Key.VerifyData(view.Tbs.Span, view.Signature.Span, hash, DSASignatureFormat.Rfc3279DerSequence))
            {
                detail = "";
                return VerificationFailure.None;
            }
        }

        detail = sawCandidate ? "signature does not verify with the issuing key" : "issuer matches no trusted key";
        return sawCandidate ? VerificationFailure.SignatureInvalid : VerificationFailure.UnknownCa;
    }

    private bool FindCandidate(CertificateView view) => _cas.Any(ca => IsCandidate(ca, view));

    private static bool IsCandidate(TrustedCa ca, CertificateView view)
    {
        if (!view.Issuer.Span.SequenceEqual(ca.Subject))
        {
            return false;
        }

        return view.AuthorityKeyId is not { } aki || ca.KeyId is null || aki.Span.SequenceEqual(ca.KeyId);
    }

    private VerificationFailure CheckTime(CertificateView view, out TimeSpan outside)
    {
        var now = _time.GetUtcNow();
        if (now < view.NotBefore)
        {
            outside = view.NotBefore - now;
            return VerificationFailure.NotYetValid;
        }

        if (now > view.NotAfter)
        {
            outside = now - view.NotAfter;
            return VerificationFailure.Expired;
        }

        outside = TimeSpan.Zero;
        return VerificationFailure.None;
    }

    private IdentityVerification<T> Fail<T>(VerificationFailure failure, string detail, TimeSpan outside = default)
        where T : class => IdentityVerification<T>.Fail(Kind, failure, detail, outside);

    private IdentityVerification<T>? CheckTrustAndTime<T>(CertificateView view)
        where T : class
    {
        var issuer = CheckIssuer(view, out var detail);
        if (issuer != VerificationFailure.None)
        {
            return Fail<T>(issuer, detail);
        }

        var time = CheckTime(view, out var outside);
        return time == VerificationFailure.None ? null : Fail<T>(time, time == VerificationFailure.Expired ? "NotAfter has passed" : "NotBefore is in the future", outside);
    }
}

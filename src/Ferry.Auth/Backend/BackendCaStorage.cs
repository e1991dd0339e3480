using Ferry.Identity;

namespace Ferry.Auth.Backend;

/// <summary>The shared CAs as backend items (<see cref="BackendKeys.CertificateAuthority"/>), one per kind.</summary>
internal sealed class BackendCaStorage(IBackend backend) : ICaSharedStorage
{
    public async ValueTask<(byte[] Value, long Revision)?> GetAsync(CaKind kind, CancellationToken cancellationToken) =>
        await backend.GetAsync(BackendKeys.CertificateAuthority(kind), cancellationToken).ConfigureAwait(false) is { } item
            ? (item.Value, item.Revision)
            : null;

    public ValueTask<long?> CompareAndSwapAsync(CaKind kind, long expectedRevision, byte[] value, CancellationToken cancellationToken) =>
        backend.CompareAndSwapAsync(BackendKeys.CertificateAuthority(kind), expectedRevision, value, ttl: null, cancellationToken);

    /// <summary>The CA encryption key <paramref name="config"/> names.</summary>
    /// <exception cref="InvalidOperationException">None configured, or unreadable (the message names the fix).</exception>
    public static CaKeyEncryptionKey LoadKey(Ferry.Config.CaKeyEncryptionConfig? config) => config switch
    {
        { KeyFile: { } file } => CaKeyEncryptionKey.FromFile(file),
        { KeyEnv: { } env } => CaKeyEncryptionKey.FromEnvironment(env),
        _ => throw new InvalidOperationException("a postgres backend keeps the CA private keys sealed with AES-256-GCM: configure auth.ca_key_encryption with key_file (a file mode 0600 holding `openssl rand -base64 32`) or key_env (an environment variable holding it), the same key on every auth server"),
    };
}

using System.IO;

namespace Ferry.Identity;

/// <summary>
/// CA rotation in three persisted phases, so that no certificate in use stops verifying:
/// add (new key trusted, old key signs) → switch (new key signs, old key still trusted) → retire (old key dropped).
/// Between the phases, distribute the new trusted roots (<see cref="ExportTrustedRootsPem"/>) and wait
/// for certificates signed by the old key to expire.
/// </summary>
public sealed partial class CertificateAuthorityStore
{
    /// <summary>Phase <c>add</c>: creates a new key for the CA, trusted but not signing.</summary>
    /// <exception cref="InvalidOperationException">A rotation is already in progress.</exception>
    public CaKeyInfo AddKey(CaKind kind)
    {
        RequireFiles();
        lock (_rotationLock)
        {
            var ring = Ring(kind);
            if (ring.Phase != CaRotationPhase.Standby)
            {
                throw new InvalidOperationException($"the {kind.ToName()} CA is already rotating (phase {ring.Phase}): finish it with switch and retire first");
            }

            var added = CaKeyFactory.Create(kind, ClusterName, CaKeyStatus.Pending, _time.GetUtcNow());
            _allKeys.Add(added);
            var dir = CaFiles.KindDirectory(DataDirectory, kind);
            CaKeyFactory.Save(dir, added);
            Commit(kind, dir, [.. ring.Keys, added]);
            return added.ToInfo();
        }
    }

    /// <summary>Phase <c>switch</c>: the pending key starts signing; the old signing key stays trusted.</summary>
    /// <exception cref="InvalidOperationException">No key was added.</exception>
    public CaKeyInfo SwitchSigningKey(CaKind kind)
    {
        RequireFiles();
        lock (_rotationLock)
        {
            var ring = Ring(kind);
            if (ring.Phase != CaRotationPhase.Added)
            {
                throw new InvalidOperationException($"the {kind.ToName()} CA has no pending key to switch to (phase {ring.Phase}): run the add phase first");
            }

            var keys = ring.Keys.Select(k => k.Status switch
            {
                CaKeyStatus.Pending => k.WithStatus(CaKeyStatus.Signing),
                CaKeyStatus.Signing => k.WithStatus(CaKeyStatus.Previous),
                _ => k,
            }).ToArray();
            Commit(kind, CaFiles.KindDirectory(DataDirectory, kind), keys);
            return keys.Single(k => k.Status == CaKeyStatus.Signing).ToInfo();
        }
    }

    /// <summary>Phase <c>retire</c>: drops the previous keys; certificates they signed stop verifying.</summary>
    /// <exception cref="InvalidOperationException">The CA has not switched keys.</exception>
    public void RetireOldKeys(CaKind kind)
    {
        RequireFiles();
        lock (_rotationLock)
        {
            var ring = Ring(kind);
            if (ring.Phase != CaRotationPhase.Switched)
            {
                throw new InvalidOperationException($"the {kind.ToName()} CA has no previous key to retire (phase {ring.Phase}): run add and switch first");
            }

            var dir = CaFiles.KindDirectory(DataDirectory, kind);
            Commit(kind, dir, [.. ring.Keys.Where(k => k.Status != CaKeyStatus.Previous)]);
            foreach (var old in ring.Keys.Where(k => k.Status == CaKeyStatus.Previous))
            {
                File.Delete(CaFiles.KeyPath(dir, old.Id));
                File.Delete(CaFiles.CertificatePath(dir, old.Id));
                // The private key object is left to the finaliser: an issue running concurrently may still hold the old ring.
            }
        }
    }

    private void Commit(CaKind kind, string dir, CaKeyEntry[] keys)
    {
        CaFiles.WritePrivate(CaFiles.StatePath(dir), CaFiles.FormatState(keys));
        Volatile.Write(ref _rings[(int)kind], new CaKeyRing(kind, keys));
    }
}

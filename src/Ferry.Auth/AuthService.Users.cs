using System.Security.Cryptography;
using Ferry.Audit;
using Ferry.Contracts;
using Ferry.Auth.Backend;
using Ferry.Auth.Model;
using Ferry.Auth.Users;

namespace Ferry.Auth;

public sealed partial class AuthService
{
    /// <summary>Issuer shown in authenticator apps.</summary>
    public const string TotpIssuer = "Ferry";

    /// <summary>Creates a local user with a password (random when null) and a fresh TOTP secret.</summary>
    /// <exception cref="AuthException">409 when the user exists; 400 for a bad name or unknown role.</exception>
    public async Task<UserCredentials> AddUserAsync(string name, IReadOnlyList<string> roles, IReadOnlyDictionary<string, List<string>>? traits, string? password, string actor, CancellationToken ct = default)
    {
        Names.Require(name, "user name");
        RequireLocalTraitNames(traits);
        await RequireRolesExistAsync(roles, ct).ConfigureAwait(false);
        password ??= NewPassword();
        RequirePasswordStrength(password);
        var secret = Totp.NewSecret();
        var now = Now;
        var record = new UserRecord
        {
            Name = name,
            Roles = [.. roles.Distinct(StringComparer.Ordinal)],
            Traits = traits?.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal) ?? [],
            PasswordHash = PasswordHasher.Hash(password),
            TotpSecret = Base32.Encode(secret),
            CreatedAt = now,
            UpdatedAt = now,
        };
        var created = await Backend.CompareAndSwapAsync(BackendKeys.User(name), 0, record, StorageJsonContext.Default.UserRecord, cancellationToken: ct).ConfigureAwait(false);
        if (created is null)
        {
            throw AuthException.Conflict($"user \"{name}\" already exists: use `users reset {name}` for new credentials");
        }

        Emit(AuditEventKinds.UserCreate, actor, details: new() { ["target_user"] = name, ["roles"] = string.Join(",", record.Roles) });
        return new UserCredentials(name, password, record.TotpSecret, Totp.EnrolmentUri(TotpIssuer, name, secret));
    }

    /// <summary>Replaces a user's password (random when null) and TOTP secret.</summary>
    public async Task<UserCredentials> ResetUserAsync(string name, string? password, string actor, CancellationToken ct = default)
    {
        Names.Require(name, "user name");
        password ??= NewPassword();
        RequirePasswordStrength(password);
        var secret = Totp.NewSecret();
        while (true)
        {
            var current = await Backend.GetWithRevisionAsync(BackendKeys.User(name), StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false)
                ?? throw AuthException.NotFound($"user \"{name}\" does not exist: see `users ls`");
            var record = current.Value;
            record.PasswordHash = PasswordHasher.Hash(password);
            record.TotpSecret = Base32.Encode(secret);
            record.UpdatedAt = Now;
            if (await Backend.CompareAndSwapAsync(BackendKeys.User(name), current.Revision, record, StorageJsonContext.Default.UserRecord, cancellationToken: ct).ConfigureAwait(false) is not null)
            {
                break;
            }
        }

        await Backend.DeleteAsync(BackendKeys.TotpUse(name), ct).ConfigureAwait(false);
        Emit(AuditEventKinds.UserUpdate, actor, details: new() { ["target_user"] = name, ["change"] = "credentials reset" });
        return new UserCredentials(name, password, Base32.Encode(secret), Totp.EnrolmentUri(TotpIssuer, name, secret));
    }

    /// <summary>Replaces a user's roles and/or traits (null leaves them as they are).</summary>
    public async Task<UserInfo> UpdateUserAsync(string name, IReadOnlyList<string>? roles, IReadOnlyDictionary<string, List<string>>? traits, string actor, CancellationToken ct = default)
    {
        Names.Require(name, "user name");
        RequireLocalTraitNames(traits);
        if (roles is not null)
        {
            await RequireRolesExistAsync(roles, ct).ConfigureAwait(false);
        }

        while (true)
        {
            var current = await Backend.GetWithRevisionAsync(BackendKeys.User(name), StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false)
                ?? throw AuthException.NotFound($"user \"{name}\" does not exist: see `users ls`");
            var record = current.Value;
            if (roles is not null)
            {
                record.Roles = [.. roles.Distinct(StringComparer.Ordinal)];
            }

            if (traits is not null)
            {
                record.Traits = traits.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal);
            }

            record.UpdatedAt = Now;
            if (await Backend.CompareAndSwapAsync(BackendKeys.User(name), current.Revision, record, StorageJsonContext.Default.UserRecord, cancellationToken: ct).ConfigureAwait(false) is not null)
            {
                Emit(AuditEventKinds.UserUpdate, actor, details: new() { ["target_user"] = name, ["roles"] = string.Join(",", record.Roles) });
                return ToInfo(record);
            }
        }
    }

    public async Task RemoveUserAsync(string name, string actor, CancellationToken ct = default)
    {
        Names.Require(name, "user name");
        if (!await Backend.DeleteAsync(BackendKeys.User(name), ct).ConfigureAwait(false))
        {
            throw AuthException.NotFound($"user \"{name}\" does not exist: see `users ls`");
        }

        await Backend.DeleteAsync(BackendKeys.TotpUse(name), ct).ConfigureAwait(false);
        Emit(AuditEventKinds.UserDelete, actor, details: new() { ["target_user"] = name });
    }

    public async Task<UserInfo?> GetUserAsync(string name, CancellationToken ct = default)
    {
        Names.Require(name, "user name");
        var record = await Backend.GetAsync(BackendKeys.User(name), StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false);
        return record is null ? null : ToInfo(record);
    }

    public async Task<List<UserInfo>> ListUsersAsync(CancellationToken ct = default)
    {
        var records = await Backend.RangeAsync(BackendKeys.Users, StorageJsonContext.Default.UserRecord, ct).ConfigureAwait(false);
        return [.. records.Select(ToInfo)];
    }

    private static UserInfo ToInfo(UserRecord r) => new()
    {
        Name = r.Name,
        Roles = [.. r.Roles],
        Traits = r.Traits.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal),
        CreatedAt = r.CreatedAt,
    };

    private async Task RequireRolesExistAsync(IReadOnlyList<string> roles, CancellationToken ct)
    {
        foreach (var role in roles)
        {
            if (await GetRoleAsync(role, ct).ConfigureAwait(false) is null)
            {
                throw AuthException.BadRequest($"role \"{role}\" does not exist: apply it first with `roles apply -f`");
            }
        }
    }

    private static void RequirePasswordStrength(string password)
    {
        if (password.Length < 12)
        {
            throw AuthException.BadRequest("password must be at least 12 characters");
        }
    }

    private static string NewPassword() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');

    /// <summary>Local traits may not use the <c>external.</c> names single sign-on claims are kept under.</summary>
    private static void RequireLocalTraitNames(IReadOnlyDictionary<string, List<string>>? traits)
    {
        foreach (var name in traits?.Keys ?? Enumerable.Empty<string>())
        {
            if (name.StartsWith(Ferry.Rbac.TraitTemplate.ExternalPrefix, StringComparison.Ordinal))
            {
                throw AuthException.BadRequest($"trait \"{name}\": names starting with \"external.\" are reserved for single sign-on claims ({{{{external.NAME}}}}); pick another name");
            }
        }
    }
}

using System.Text.Json;
using Ferry.Client.Api;

namespace Ferry.Client;

/// <summary>Reads and writes the profile directory: <c>profile.json</c>, <c>key.pem</c> (0600), <c>cert.pem</c>, CA files.</summary>
public sealed class ProfileStore(FerryPaths paths)
{
    public FerryPaths Paths { get; } = paths;

    /// <summary>The saved profile, or null when nobody logged in (or the file is unreadable).</summary>
    public ClientProfile? LoadProfile()
    {
        if (!File.Exists(Paths.ProfileFile))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(Paths.ProfileFile), ClientJsonContext.Default.ClientProfile);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Saves a complete login: every file 0600 in a 0700 directory.</summary>
    public void SaveLogin(ClientProfile profile, string privateKeyPem, string certificatePem, string hostCaPem, string userCaPem)
    {
        ArgumentNullException.ThrowIfNull(profile);
        SecureFile.EnsureDirectory(Paths.Root);
        SecureFile.Write(Paths.KeyFile, privateKeyPem);
        SecureFile.Write(Paths.CertificateFile, certificatePem);
        SecureFile.Write(Paths.HostCaFile, hostCaPem);
        SecureFile.Write(Paths.UserCaFile, userCaPem);
        SaveProfile(profile);
    }

    /// <summary>Replaces the login certificate (same key; <c>ferry login --request-id</c>) and the profile's expiry.</summary>
    public void SaveLoginCertificate(string certificatePem, DateTimeOffset expires)
    {
        var profile = LoadProfile() ?? throw new FerryClientException("not logged in: run `ferry login` first");
        profile.Expires = expires;
        SecureFile.Write(Paths.CertificateFile, certificatePem);
        SaveProfile(profile);
    }

    public void SaveProfile(ClientProfile profile) =>
        SecureFile.Write(Paths.ProfileFile, JsonSerializer.Serialize(profile, ClientJsonContext.Default.ClientProfile));

    /// <summary>What <c>ferry db login NAME</c> recorded, or null.</summary>
    public DatabaseLogin? LoadDatabaseLogin(string name)
    {
        var file = Paths.DatabaseLoginFile(name);
        if (!File.Exists(file))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(file), ClientJsonContext.Default.DatabaseLogin);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void SaveDatabaseLogin(DatabaseLogin login, string certificatePem)
    {
        ArgumentNullException.ThrowIfNull(login);
        SecureFile.EnsureDirectory(Paths.DatabasesRoot);
        SecureFile.EnsureDirectory(Paths.DatabaseDirectory(login.Name));
        SecureFile.Write(Paths.DatabaseCertificateFile(login.Name), certificatePem);
        SecureFile.Write(Paths.DatabaseLoginFile(login.Name), JsonSerializer.Serialize(login, ClientJsonContext.Default.DatabaseLogin));
    }

    /// <summary>Names of the databases with a <c>db login</c> record.</summary>
    public IReadOnlyList<string> DatabaseLoginNames() =>
        Directory.Exists(Paths.DatabasesRoot)
            ? [.. Directory.EnumerateDirectories(Paths.DatabasesRoot).Select(Path.GetFileName).OfType<string>()
                .Where(n => File.Exists(Paths.DatabaseLoginFile(n))).Order(StringComparer.Ordinal)]
            : [];

    public void DeleteDatabaseLogin(string name)
    {
        var dir = Paths.DatabaseDirectory(name);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Removes the login files (key, certificates, CA pin, profile). The directory itself stays.</summary>
    public void DeleteLogin()
    {
        foreach (var name in DatabaseLoginNames())
        {
            DeleteDatabaseLogin(name);
        }

        SecureFile.Delete(Paths.KeyFile);
        SecureFile.Delete(Paths.CertificateFile);
        SecureFile.Delete(Paths.HostCaFile);
        SecureFile.Delete(Paths.UserCaFile);
        SecureFile.Delete(Paths.ProfileFile);
    }
}

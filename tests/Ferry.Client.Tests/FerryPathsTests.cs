namespace Ferry.Client.Tests;

public sealed class FerryPathsTests
{
    private static FerryPaths From(params (string Key, string Value)[] vars) =>
        FerryPaths.FromVariables(name => vars.FirstOrDefault(v => v.Key == name).Value);

    [Fact]
    public void FromVariables_WithoutOverrides_UsesDotFilesInHome()
    {
        var paths = From(("HOME", "/home/alice"));
        Assert.Equal("/home/alice/.ferry", paths.Root);
        Assert.Equal("/home/alice/.pg_service.conf", paths.PgServiceFile);
        Assert.Equal("/home/alice/.my.cnf", paths.MyCnfFile);
        Assert.Equal("/home/alice/.ferry/key.pem", paths.KeyFile);
        Assert.Equal("/home/alice/.ferry/db/pg1/cert.pem", paths.DatabaseCertificateFile("pg1"));
    }

    [Fact]
    public void FromVariables_FerryHomePgServiceFileAndFerryMyCnf_RedirectEveryFile()
    {
        var paths = From(("HOME", "/home/alice"), ("FERRY_HOME", "/demo/.ferry"), ("PGSERVICEFILE", "/demo/pg_service.conf"), ("FERRY_MYCNF", "/demo/my.cnf"));
        Assert.Equal("/demo/.ferry", paths.Root);
        Assert.Equal("/demo/.ferry/profile.json", paths.ProfileFile);
        Assert.Equal("/demo/pg_service.conf", paths.PgServiceFile);
        Assert.Equal("/demo/my.cnf", paths.MyCnfFile);
    }

    [Fact]
    public void FromVariables_EmptyFerryHome_FallsBackToHome()
    {
        var paths = From(("HOME", "/home/bob"), ("FERRY_HOME", ""));
        Assert.Equal("/home/bob/.ferry", paths.Root);
    }
}

namespace Ferry.Wire.Postgres;

/// <summary>What a <see cref="PostgresWireClient"/> sends at start-up; a null <see cref="Password"/> allows only trust and certificate logins.</summary>
public sealed record PostgresStartup(string User, string Database, string ApplicationName)
{
    public string? Password { get; init; }

    /// <summary>What to say when the server asks for a password and none was given.</summary>
    public string NoPasswordMessage { get; init; } = "the database asked for a password: give one (password=... in the connection string)";
}

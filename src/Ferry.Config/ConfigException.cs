namespace Ferry.Config;

/// <summary>A configuration error that names the file, line, column and key at fault.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

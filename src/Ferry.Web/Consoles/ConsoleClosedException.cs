namespace Ferry.Web.Consoles;

/// <summary>The console's connection is gone (logout, idle timeout, a lock or the certificate's end closed it).</summary>
internal sealed class ConsoleClosedException : Exception
{
    public ConsoleClosedException()
        : this("the console is closed")
    {
    }

    public ConsoleClosedException(string message)
        : base(message)
    {
    }

    public ConsoleClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

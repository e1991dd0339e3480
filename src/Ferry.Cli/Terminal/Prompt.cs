using System.Text;

namespace Ferry.Cli;

/// <summary>Interactive prompts on the terminal (written to stderr so stdout stays clean for scripts).</summary>
internal static class Prompt
{
    public static bool IsInteractive => !Console.IsInputRedirected && !Console.IsErrorRedirected;

    /// <summary>Reads a line without echoing it.</summary>
    public static string ReadSecret(string prompt)
    {
        Console.Error.Write(prompt);
        var sb = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (sb.Length > 0)
                {
                    sb.Length--;
                }

                continue;
            }

            if (key.Modifiers.HasFlag(ConsoleModifiers.Control) && key.Key == ConsoleKey.C)
            {
                Console.Error.WriteLine();
                throw new OperationCanceledException();
            }

            if (!char.IsControl(key.KeyChar))
            {
                sb.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return sb.ToString();
    }

    /// <summary>Asks a yes/no question; anything but y/yes is no.</summary>
    public static bool Confirm(string question)
    {
        Console.Error.Write(question + " [y/N] ");
        var answer = Console.ReadLine()?.Trim();
        return answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase));
    }
}

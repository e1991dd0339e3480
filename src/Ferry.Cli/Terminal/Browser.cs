using System.ComponentModel;
using System.Diagnostics;

namespace Ferry.Cli;

/// <summary>
/// Opens an address in the person's browser: <c>--browser COMMAND</c>, else <c>$BROWSER</c> (colon-separated commands,
/// <c>%s</c> for the address), else <c>xdg-open</c> (<c>open</c> on macOS). <c>--browser=none</c> opens nothing.
/// The address is always printed too, so a browser that did not start is never a dead end.
/// </summary>
internal static class Browser
{
    public const string None = "none";

    /// <summary>Starts the first command that exists; false when none could be started (or <paramref name="choice"/> is none).</summary>
    public static bool TryOpen(Uri address, string? choice)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (string.Equals(choice, None, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var commands = !string.IsNullOrWhiteSpace(choice) ? [choice]
            : Environment.GetEnvironmentVariable("BROWSER") is { Length: > 0 } fromEnvironment ? fromEnvironment.Split(':', StringSplitOptions.RemoveEmptyEntries)
            : OperatingSystem.IsMacOS() ? ["open"] : ["xdg-open"];
        foreach (var command in commands)
        {
            var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (words.Length == 0)
            {
                continue;
            }

            var start = new ProcessStartInfo(words[0])
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var placed = false;
            foreach (var word in words.Skip(1))
            {
                placed |= word.Contains("%s", StringComparison.Ordinal);
                start.ArgumentList.Add(word.Replace("%s", address.AbsoluteUri, StringComparison.Ordinal));
            }

            if (!placed)
            {
                start.ArgumentList.Add(address.AbsoluteUri);
            }

            try
            {
                var process = Process.Start(start);
                if (process is null)
                {
                    continue;
                }

                // Its chatter is not ours to show; drain it so it never blocks.
                process.OutputDataReceived += (_, _) => { };
                process.ErrorDataReceived += (_, _) => { };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                process.StandardInput.Close();
                return true;
            }
            catch (Win32Exception)
            {
                // Not installed: try the next one.
            }
        }

        return false;
    }
}

using System.Diagnostics;
using System.Text;

namespace Ferry.Testing;

/// <summary>
/// A long-running server child process that this fixture started. It is stopped by its own pid
/// only, never by name, and its output is kept for diagnostics.
/// </summary>
public sealed class ManagedServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _outputEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _openStreams = 2; // standard output and standard error, until each reaches its end

    private ManagedServerProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static ManagedServerProcess Start(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var p = new Process { StartInfo = psi };
        var managed = new ManagedServerProcess(p);
        p.OutputDataReceived += (_, e) => managed.Append(e.Data);
        p.ErrorDataReceived += (_, e) => managed.Append(e.Data);
        // Only the output streams' end says the last lines are in Log: the process exiting does not (the readers
        // run on their own, and Process.WaitForExit with a timeout does not wait for them).
        if (!p.Start())
        {
            throw new InvalidOperationException($"cannot start {file}");
        }
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return managed;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            if (Interlocked.Decrement(ref _openStreams) == 0)
            {
                _outputEnded.TrySetResult();
            }
            return;
        }
        lock (_log)
        {
            if (_log.Length < 1_000_000)
            {
                _log.AppendLine(line);
            }
        }
    }

    /// <summary>Sends a signal to our own pid and waits; escalates to SIGKILL after the grace period.</summary>
    public void Stop(int signal, TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            _ = ProcessRunner.RunAsync("kill", [$"-{signal}", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]).GetAwaiter().GetResult();
            if (!_process.WaitForExit(grace))
            {
                _process.Kill();
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }

        // Everything it wrote before it exited is in Log once this returns (bounded: a child it left behind may
        // still hold the pipes open).
        _outputEnded.Task.Wait(TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        Stop(15, TimeSpan.FromSeconds(15));
        _process.Dispose();
    }
}

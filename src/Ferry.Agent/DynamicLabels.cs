using System.Collections.Concurrent;
using System.Diagnostics;
using Ferry.Config;

namespace Ferry.Agent;

/// <summary>
/// Runs each database's <c>dynamic_labels</c> commands on their period and folds the trimmed
/// output (first line, at most 63 characters) into the database's labels, which RBAC checks and
/// heartbeats announce. A command that fails or times out leaves the label out, so a role that
/// needs it does not match by accident.
/// </summary>
public sealed class DynamicLabels(ConcurrentDictionary<string, AgentDatabase> databases, IReadOnlyList<DatabaseConfig> config, Action<string> log)
{
    public Task RunAsync(CancellationToken ct) =>
        Task.WhenAll(config.SelectMany(d => d.DynamicLabels.Select(l => LoopAsync(d, l, ct))));

    private async Task LoopAsync(DatabaseConfig db, DynamicLabel label, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var value = await RunCommandAsync(label, ct).ConfigureAwait(false);
            while (databases.TryGetValue(db.Name, out var current))
            {
                var labels = new Dictionary<string, string>(current.Labels, StringComparer.Ordinal);
                if (value is null)
                {
                    labels.Remove(label.Name);
                }
                else
                {
                    labels[label.Name] = value;
                }
                if (databases.TryUpdate(db.Name, current with { Labels = labels }, current))
                {
                    break;
                }
            }
            try
            {
                await Task.Delay(label.Period, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<string?> RunCommandAsync(DynamicLabel label, CancellationToken ct)
    {
        var start = new ProcessStartInfo(label.Command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in label.Command.Skip(1))
        {
            start.ArgumentList.Add(a);
        }
        try
        {
            using var process = Process.Start(start)!;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(Math.Clamp(label.Period.TotalSeconds, 1, 30)));
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            _ = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                log($"dynamic label {label.Name}: `{string.Join(' ', label.Command)}` timed out");
                return null;
            }
            if (process.ExitCode != 0)
            {
                log($"dynamic label {label.Name}: `{string.Join(' ', label.Command)}` exited with {process.ExitCode}");
                return null;
            }
            var line = (await output.ConfigureAwait(false)).Split('\n', 2)[0].Trim();
            return line.Length > 63 ? line[..63] : line;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            log($"dynamic label {label.Name}: cannot run `{string.Join(' ', label.Command)}`: {e.Message}");
            return null;
        }
    }
}

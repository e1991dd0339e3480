using System.Collections.Concurrent;

namespace Ferry.Diagnostics;

/// <summary>
/// What <c>/readyz</c> asks: every component that must be up before this process is useful registers a
/// check while it runs (the proxy while it listens, an agent tunnel, the auth service) and disposes the
/// registration when it stops. The process is ready when it has at least one check and all of them pass;
/// the answer names the ones that do not.
/// </summary>
public sealed class Readiness
{
    private readonly ConcurrentDictionary<object, (string Name, Func<bool> IsReady)> _checks = new(ReferenceEqualityComparer.Instance);

    /// <summary>The checks of this process, which the hosts' diagnostics server answers from.</summary>
    public static Readiness Process { get; } = new();

    /// <summary>Adds a check named <paramref name="name"/> (e.g. "proxy listening on 0.0.0.0:3080") until the result is disposed.</summary>
    public IDisposable Register(string name, Func<bool> isReady)
    {
        var key = new object();
        _checks[key] = (name, isReady);
        return new Registration(this, key);
    }

    /// <summary>Runs the checks: ready, or not ready with the reason (the failing checks, or "starting").</summary>
    public (bool Ready, string Reason) Check()
    {
        var checks = _checks.Values.ToArray();
        if (checks.Length == 0)
        {
            return (false, "starting: no component has registered yet");
        }
        var failing = checks.Where(c => !SafeIsReady(c.IsReady)).Select(c => c.Name).Order(StringComparer.Ordinal).ToArray();
        return failing.Length == 0
            ? (true, string.Join("\n", checks.Select(c => c.Name).Order(StringComparer.Ordinal).Select(n => "ok: " + n)))
            : (false, string.Join("\n", failing.Select(n => "not ready: " + n)));
    }

    // A check that throws is a check that fails: /readyz must answer, not crash the listener.
#pragma warning disable CA1031
    private static bool SafeIsReady(Func<bool> isReady)
    {
        try
        {
            return isReady();
        }
        catch (Exception)
        {
            return false;
        }
    }
#pragma warning restore CA1031

    private sealed class Registration(Readiness owner, object key) : IDisposable
    {
        public void Dispose() => owner._checks.TryRemove(key, out _);
    }
}

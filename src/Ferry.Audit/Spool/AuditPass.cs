namespace Ferry.Audit;

/// <summary>
/// A relay's pass over what it has just read: the events a <see cref="SpoolingAuditSink"/> gets on this thread between
/// <see cref="Begin"/> and <see cref="End"/> go into the spool file together, with one <c>write</c> at <see cref="End"/>,
/// which the relay calls before it forwards any of what it read. Outside a pass, <see cref="SpoolingAuditSink.Emit"/>
/// writes each event at once. Begin and End must run on the same thread with no <c>await</c> between them.
/// </summary>
public static class AuditPass
{
    [ThreadStatic]
    private static Pending? t_pending;

    public static void Begin() => (t_pending ??= new Pending()).Depth++;

    /// <summary>Writes the pass's events (when this ends the outermost pass).</summary>
    /// <exception cref="AuditSpoolUnavailableException">They could not be written: forward nothing of the pass.</exception>
    public static void End()
    {
        Pending p = t_pending!;
        if (--p.Depth == 0 && p.Events.Count > 0)
        {
            p.Write();
        }
    }

    /// <summary>Holds <paramref name="e"/> for the pass open on this thread; false when none is.</summary>
    internal static bool Defer(SpoolingAuditSink sink, AuditEvent e)
    {
        Pending? p = t_pending;
        if (p is null || p.Depth == 0)
        {
            return false;
        }

        if (p.Sink != sink && p.Events.Count > 0)
        {
            p.Write(); // another spool's events first, in order
        }

        p.Sink = sink;
        p.Events.Add(e);
        return true;
    }

    private sealed class Pending
    {
        public readonly List<AuditEvent> Events = [];
        public int Depth;
        public SpoolingAuditSink? Sink;

        public void Write()
        {
            try
            {
                Sink!.Write(Events);
            }
            finally
            {
                Events.Clear();
                Sink = null;
            }
        }
    }
}

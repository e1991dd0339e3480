using System.Buffers;
using Ferry.Audit;
using Ferry.Protocol.Postgres;
using Ferry.Protocol.Postgres.Frontend;

namespace Ferry.Agent.Postgres;

internal sealed partial class PostgresAgentSession
{
    private const int MaxAuditedParameter = 4096;

    /// <summary>Called by the relay for each client message it holds whole (Query, Parse, Bind, Execute, FunctionCall).</summary>
    private void AuditMessage(PostgresFrame frame)
    {
        AuditEvent e;
        switch ((FrontendMessageCode)frame.Code)
        {
            case FrontendMessageCode.Query:
                e = Audit.NewEvent(AuditEventKinds.DbSessionQuery);
                e.Query = PgWire.Text(Query.Read(frame).Text);
                break;
            case FrontendMessageCode.Parse:
                var parse = Parse.Read(frame);
                e = Audit.NewEvent(AuditEventKinds.DbSessionParse);
                e.StatementName = PgWire.Text(parse.StatementName);
                e.Query = PgWire.Text(parse.QueryText);
                break;
            case FrontendMessageCode.Bind:
                var bind = Bind.Read(frame);
                e = Audit.NewEvent(AuditEventKinds.DbSessionBind);
                e.StatementName = PgWire.Text(bind.Statement);
                e.Details = new Dictionary<string, string> { ["portal"] = PgWire.Text(bind.Portal) };
                var values = new List<string?>(bind.ParameterCount);
                foreach (var p in bind.Parameters)
                {
                    values.Add(Render(p));
                }
                e.Parameters = values;
                break;
            case FrontendMessageCode.Execute:
                var execute = Execute.Read(frame);
                e = Audit.NewEvent(AuditEventKinds.DbSessionExecute);
                e.Details = new Dictionary<string, string> { ["portal"] = PgWire.Text(execute.Portal) };
                break;
            case FrontendMessageCode.FunctionCall:
                var call = FunctionCall.Read(frame);
                if (TryAddToFunctionCalls(call))
                {
                    return;
                }
                e = Audit.NewEvent(AuditEventKinds.DbSessionFunctionCall);
                e.Details = new Dictionary<string, string> { ["function_oid"] = call.FunctionOid.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                var args = new List<string?>(call.ArgumentCount);
                foreach (var a in call.Arguments)
                {
                    args.Add(Render(a));
                }
                e.Parameters = args;
                StartFunctionCalls(call, e);
                return;
            default:
                return;
        }
        Audit.Emit(e);
    }

    /// <summary>Text parameters as text, binary ones base64 (prefixed <c>base64:</c>), long ones cut.</summary>
    private static string? Render(ParameterValue p)
    {
        if (p.IsNull)
        {
            return null;
        }
        var value = p.Value.Length > MaxAuditedParameter ? p.Value.Slice(0, MaxAuditedParameter) : p.Value;
        var text = p.FormatCode == 0 ? PgWire.Text(value) : "base64:" + Convert.ToBase64String(value.ToArray());
        return p.Value.Length > MaxAuditedParameter ? text + $"…({p.Value.Length} bytes)" : text;
    }
}

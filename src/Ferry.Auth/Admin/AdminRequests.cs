using System.CommandLine;
using System.Globalization;
using System.Text;
using Ferry.Contracts;
using Ferry.Text;

namespace Ferry.Auth.Admin;

/// <summary><c>requests ls|show|approve|deny|drop</c>: access requests, decided by the operator (thresholds do not apply).</summary>
internal static class AdminRequests
{
    public static Command Create(AdminOptions o)
    {
        var requests = new Command("requests", "Access requests: list, show, approve, deny or drop them as the operator");

        var state = new Option<string>("--state") { Description = "Only requests in this state (pending, approved, denied, expired, dropped)" };
        var ls = new Command("ls", "List every access request, newest first") { state };
        ls.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var list = await s.ListAccessRequestsAsync(null, r.GetValue(state), ct).ConfigureAwait(false);
            await w.WriteAsync(o.Json(r)
                ? AdminOptions.ToJson(new AccessRequestsResponse { Requests = list }, AuthApiJsonContext.Default.AccessRequestsResponse) + "\n"
                : TextTable.RenderUnderlined(["ID", "USER", "ROLES", "RESOURCES", "STATE", "CREATED", "ACCESS EXPIRES", "REASON"], list.Select(Row))).ConfigureAwait(false);
        }, ct));
        requests.Add(ls);

        var showId = new Argument<string>("id");
        var show = new Command("show", "Show one access request with its reviews") { showId };
        show.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var info = await s.GetAccessRequestAsync(null, r.GetValue(showId)!, ct).ConfigureAwait(false);
            await w.WriteAsync(o.Json(r) ? AdminOptions.ToJson(info, AuthApiJsonContext.Default.AccessRequestInfo) + "\n" : Describe(info)).ConfigureAwait(false);
        }, ct));
        requests.Add(show);

        requests.Add(Decide(o, "approve", "Approve a pending request now (the operator's decision is final)", approve: true));
        requests.Add(Decide(o, "deny", "Deny a pending request now", approve: false));

        var dropId = new Argument<string>("id");
        var dropReason = new Option<string>("--reason") { Description = "Why (kept with the request and in the lock)" };
        var drop = new Command("drop", "Withdraw a pending request or end an approved grant (locks it until its end; live sessions end)") { dropId, dropReason };
        drop.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var info = await s.DropAccessRequestAsync(null, r.GetValue(dropId)!, new AccessRequestDrop { Reason = r.GetValue(dropReason) ?? "" }, "", AdminOptions.Actor, ct).ConfigureAwait(false);
            await w.WriteLineAsync(o.Json(r) ? AdminOptions.ToJson(info, AuthApiJsonContext.Default.AccessRequestInfo) : $"access request {info.Id}: {info.State}").ConfigureAwait(false);
        }, ct));
        requests.Add(drop);
        return requests;
    }

    private static Command Decide(AdminOptions o, string name, string description, bool approve)
    {
        var id = new Argument<string>("id");
        var reason = new Option<string>("--reason") { Description = "Why (kept with the review)" };
        var command = new Command(name, description) { id, reason };
        command.SetAction((r, ct) => o.RunAsync(r, async (s, w) =>
        {
            var info = await s.ReviewAccessRequestAsync(null, r.GetValue(id)!, new AccessRequestReview { Approve = approve, Reason = r.GetValue(reason) ?? "" }, "", AdminOptions.Actor, ct).ConfigureAwait(false);
            await w.WriteLineAsync(o.Json(r) ? AdminOptions.ToJson(info, AuthApiJsonContext.Default.AccessRequestInfo) : $"access request {info.Id}: {info.State}"
                + (info.AccessExpires is { } end ? " until " + AdminTokens.Time(end) : "")).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static string[] Row(AccessRequestInfo r) =>
    [
        r.Id, r.User, string.Join(",", r.Roles), string.Join(",", r.Resources), r.State, AdminTokens.Time(r.Created),
        r.AccessExpires is { } e ? AdminTokens.Time(e) : "", r.Reason.Length > 40 ? r.Reason[..40] + "…" : r.Reason.ReplaceLineEndings(" "),
    ];

    private static string Describe(AccessRequestInfo r)
    {
        var sb = new StringBuilder();
        void Line(string key, string value) => sb.Append(CultureInfo.InvariantCulture, $"{key,-20}{value}\n");
        Line("id:", r.Id);
        Line("user:", r.User);
        Line("state:", r.State);
        Line("roles:", string.Join(", ", r.Roles));
        if (r.Resources.Count > 0)
        {
            Line("resources:", string.Join(", ", r.Resources));
        }

        Line("reason:", r.Reason.ReplaceLineEndings(" "));
        Line("created:", AdminTokens.Time(r.Created));
        Line("pending until:", AdminTokens.Time(r.PendingExpires));
        Line("duration:", Ferry.Rbac.Duration.Format(TimeSpan.FromSeconds(r.DurationSeconds)));
        if (r.AccessExpires is { } end)
        {
            Line("access expires:", AdminTokens.Time(end));
        }

        if (r.SuggestedReviewers.Count > 0)
        {
            Line("suggested reviewers:", string.Join(", ", r.SuggestedReviewers));
        }

        foreach (var v in r.Reviews)
        {
            Line("review:", $"{v.Reviewer} {v.Decision} at {AdminTokens.Time(v.Time)}" + (v.Reason.Length > 0 ? ": " + v.Reason.ReplaceLineEndings(" ") : ""));
        }

        if (r.Resolution is { } resolution)
        {
            Line("resolution:", resolution.ReplaceLineEndings(" "));
        }

        return sb.ToString();
    }
}

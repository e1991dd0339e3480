using System.CommandLine;
using System.Text.Json;
using Ferry.Client;
using Ferry.Contracts;
using Ferry.Text;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry request create|ls|show|review|drop</c>: just-in-time access requests.</summary>
internal static class RequestCommands
{
    /// <summary>Longest reason accepted on the command line (the auth service has its own limit).</summary>
    private const int MaxReasonLength = 1024;

    public static Command Build()
    {
        var request = new Command("request", """
            Ask for access you do not hold (roles, or one database), review others' requests, and drop a grant early.
            Once a request is approved, `ferry login --request-id ID` adds it to your login until the grant ends.

            Example:
              ferry request create --resource db/orders-prod --reason "INC-4211: fix stuck job" --duration 1h --wait
              ferry request ls --state pending
              ferry request review 0193… --approve --reason "on call, ok"
            """);
        request.Subcommands.Add(Create());
        request.Subcommands.Add(List());
        request.Subcommands.Add(Show());
        request.Subcommands.Add(Review());
        request.Subcommands.Add(Drop());
        return request;
    }

    private static Argument<string> IdArgument() => new("ID") { Description = "The request's id (as `ferry request ls` shows it)" };

    private static Option<string> ReasonOption(string description, bool required = false) => new("--reason") { Description = description, Required = required };

    private static string CheckReason(string? reason)
    {
        reason = reason?.Trim() ?? "";
        return reason.Length > MaxReasonLength
            ? throw new FerryClientException($"--reason is {reason.Length} characters long: keep it under {MaxReasonLength} (link a ticket for the details)")
            : reason;
    }

    private static List<string> SplitList(IEnumerable<string>? values) =>
        [.. (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct(StringComparer.Ordinal)];

    private static Command Create()
    {
        var roles = new Option<string[]>("--roles") { Description = "Roles to request (comma-separated or repeated; each must be in one of your roles' allow.request.roles)", AllowMultipleArgumentsPerToken = true };
        var resources = new Option<string[]>("--resource") { Description = "A database to request, db/NAME (repeatable; granted through your roles' allow.request.search_as_roles, limited to it)", AllowMultipleArgumentsPerToken = true };
        var reason = ReasonOption("Why you need it (a ticket, an incident); shown to reviewers and audited");
        var duration = new Option<string>("--duration") { Description = "How long the access should last once approved, e.g. 30m, 2h (capped by the roles' request max_duration and your login)" };
        var reviewers = new Option<string[]>("--reviewers") { Description = "Reviewers to suggest (comma-separated; they are notified, and still need allow.review_requests)", AllowMultipleArgumentsPerToken = true };
        var wait = new Option<bool>("--wait") { Description = "Wait until the request is decided, then log in with it (Ctrl-C stops waiting; the request stays)" };
        var format = Cli.FormatOption();
        var command = new Command("create", """
            Ask for roles (--roles) or for one or more databases (--resource db/NAME) for a while. Reviewers approve or deny
            it with `ferry request review`; then `ferry login --request-id ID` (or --wait) gives you the access.

            Example:
              ferry request create --roles dba --reason "INC-4211: fix stuck job" --duration 2h --reviewers bob,carol
              ferry request create --resource db/orders-prod --reason "INC-4211" --wait
            """)
        {
            roles, resources, reason, duration, reviewers, wait, format,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            var roleList = SplitList(parse.GetValue(roles));
            var resourceList = SplitList(parse.GetValue(resources)).Select(r => r.Contains('/', StringComparison.Ordinal) ? r : "db/" + r).ToList();
            if ((roleList.Count == 0) == (resourceList.Count == 0))
            {
                return Cli.Fail("ask for either roles or databases: pass --roles dba or --resource db/NAME (not both)");
            }

            long? seconds = null;
            if (parse.GetValue(duration) is { } text)
            {
                if (!DurationText.TryParse(text, out var span) || span < TimeSpan.FromSeconds(1))
                {
                    return Cli.Fail($"--duration \"{text}\" is not a duration: use e.g. 30m, 2h, 1h30m");
                }

                seconds = (long)span.TotalSeconds;
            }

            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var created = await api.CreateAccessRequestAsync(new AccessRequestCreate
            {
                Roles = roleList,
                Resources = resourceList,
                Reason = CheckReason(parse.GetValue(reason)),
                DurationSeconds = seconds,
                Reviewers = SplitList(parse.GetValue(reviewers)),
            }, ct).ConfigureAwait(false);
            var json = parse.GetValue(format) == "json";
            if (!parse.GetValue(wait))
            {
                if (json)
                {
                    Console.WriteLine(JsonSerializer.Serialize(created, AuthApiJsonContext.Default.AccessRequestInfo));
                }
                else
                {
                    Console.WriteLine($"Access request {created.Id} created: {What(created)}, pending until {LoginCommands.Time(created.PendingExpires)}.");
                    Console.WriteLine($"Once approved: ferry login --request-id {created.Id}");
                }

                return 0;
            }

            Console.Error.WriteLine($"Access request {created.Id} created: {What(created)}. Waiting for a review (Ctrl-C stops waiting; the request stays)...");
            var decided = await AccessRequestLogin.WaitForDecisionAsync(api, created.Id, ct: ct).ConfigureAwait(false);
            if (decided.State != AccessRequestStates.Approved)
            {
                return Cli.Fail(Outcome(decided));
            }

            Console.Error.WriteLine($"Access request {decided.Id} approved until {LoginCommands.Time(decided.AccessExpires ?? DateTimeOffset.UtcNow)}; logging in with it.");
            using var elevated = await AccessRequestLogin.ElevateAsync(session, [decided.Id], ct).ConfigureAwait(false);
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(decided, AuthApiJsonContext.Default.AccessRequestInfo));
                return 0;
            }

            return await LoginCommands.ReportAsync(elevated, elevated.Paths, ct).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>"roles dba" or "databases db/orders-prod" (through the listed roles).</summary>
    private static string What(AccessRequestInfo r) =>
        r.Resources.Count > 0 ? $"databases {string.Join(", ", r.Resources)}" : $"roles {string.Join(", ", r.Roles)}";

    /// <summary>A sentence for a request that will not give access: denied, expired or dropped, by whom and why.</summary>
    private static string Outcome(AccessRequestInfo r)
    {
        var last = r.Reviews.Count > 0 ? r.Reviews[^1] : null;
        var why = string.IsNullOrEmpty(r.Resolution) ? "" : ": " + r.Resolution;
        return r.State switch
        {
            AccessRequestStates.Denied => $"access request {r.Id} was denied{(last is null ? "" : " by " + last.Reviewer)}{why}",
            AccessRequestStates.Expired => $"access request {r.Id} has expired{why}: ask again with `ferry request create`",
            AccessRequestStates.Dropped => $"access request {r.Id} was dropped{why}: ask again with `ferry request create`",
            _ => $"access request {r.Id} is {r.State}{why}",
        };
    }

    private static Command List()
    {
        var state = new Option<string>("--state") { Description = "Only requests in this state: pending, approved, denied, expired, dropped" };
        state.AcceptOnlyFromAmong(AccessRequestStates.Pending, AccessRequestStates.Approved, AccessRequestStates.Denied, AccessRequestStates.Expired, AccessRequestStates.Dropped);
        var format = Cli.FormatOption();
        var command = new Command("ls", """
            List your access requests and the ones you may review.

            Example:
              ferry request ls
              ferry request ls --state pending --format json
            """)
        {
            state, format,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var list = await api.ListAccessRequestsAsync(parse.GetValue(state), ct).ConfigureAwait(false);
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(list, AuthApiJsonContext.Default.AccessRequestsResponse));
                return 0;
            }

            var table = new TextTable("ID", "USER", "STATE", "ASKED FOR", "DURATION", "ENDS", "REASON");
            foreach (var r in list.Requests.OrderBy(r => r.Created))
            {
                table.Add(r.Id, r.User, r.State, What(r), DurationText.Format(TimeSpan.FromSeconds(r.DurationSeconds)), Ends(r), r.Reason);
            }

            table.Write(Console.Out);
            if (list.Requests.Count == 0)
            {
                Console.Error.WriteLine("No access request: ask with `ferry request create --roles ROLE --reason WHY`.");
            }

            return 0;
        });
        return command;
    }

    /// <summary>When a pending request lapses or an approved grant ends; empty once decided otherwise.</summary>
    private static string Ends(AccessRequestInfo r) => r.State switch
    {
        AccessRequestStates.Pending => LoginCommands.Time(r.PendingExpires),
        AccessRequestStates.Approved when r.AccessExpires is { } end => LoginCommands.Time(end),
        _ => "",
    };

    private static Command Show()
    {
        var id = IdArgument();
        var format = Cli.FormatOption();
        var command = new Command("show", """
            Show one access request: who asked for what and why, its state, the reviews and when it ends.

            Example:
              ferry request show 0193…
            """)
        {
            id, format,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            var requestId = AccessRequestLogin.CheckId(parse.GetValue(id)!);
            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var r = await api.GetAccessRequestAsync(requestId, ct).ConfigureAwait(false);
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(r, AuthApiJsonContext.Default.AccessRequestInfo));
                return 0;
            }

            Console.WriteLine($"ID:        {r.Id}");
            Console.WriteLine($"User:      {r.User}");
            Console.WriteLine($"State:     {r.State}{(string.IsNullOrEmpty(r.Resolution) ? "" : " (" + r.Resolution + ")")}");
            Console.WriteLine(r.Resources.Count > 0 ? $"Databases: {string.Join(", ", r.Resources)}" : $"Roles:     {string.Join(", ", r.Roles)}");
            Console.WriteLine($"Reason:    {r.Reason}");
            Console.WriteLine($"Created:   {LoginCommands.Time(r.Created)}");
            Console.WriteLine($"Duration:  {DurationText.Format(TimeSpan.FromSeconds(r.DurationSeconds))}");
            if (r.State == AccessRequestStates.Pending)
            {
                Console.WriteLine($"Pending:   until {LoginCommands.Time(r.PendingExpires)}");
            }

            if (r.AccessExpires is { } end)
            {
                Console.WriteLine($"Access:    until {LoginCommands.Time(end)}");
            }

            if (r.SuggestedReviewers.Count > 0)
            {
                Console.WriteLine($"Reviewers: {string.Join(", ", r.SuggestedReviewers)}");
            }

            foreach (var review in r.Reviews)
            {
                Console.WriteLine($"Review:    {review.Decision} by {review.Reviewer} at {LoginCommands.Time(review.Time)}: {review.Reason}");
            }

            return 0;
        });
        return command;
    }

    private static Command Review()
    {
        var id = IdArgument();
        var approve = new Option<bool>("--approve") { Description = "Approve the request" };
        var deny = new Option<bool>("--deny") { Description = "Deny the request" };
        var reason = ReasonOption("Why (audited, shown to the requester)");
        var format = Cli.FormatOption();
        var command = new Command("review", """
            Approve or deny someone's access request (your roles need allow.review_requests for its roles; you cannot
            review your own).

            Example:
              ferry request review 0193… --approve --reason "on call, ok"
              ferry request review 0193… --deny --reason "use the read replica"
            """)
        {
            id, approve, deny, reason, format,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            var requestId = AccessRequestLogin.CheckId(parse.GetValue(id)!);
            if (parse.GetValue(approve) == parse.GetValue(deny))
            {
                return Cli.Fail("say which: pass --approve or --deny (with --reason WHY)");
            }

            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var r = await api.ReviewAccessRequestAsync(requestId, new AccessRequestReview
            {
                Approve = parse.GetValue(approve),
                Reason = CheckReason(parse.GetValue(reason)),
            }, ct).ConfigureAwait(false);
            if (parse.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(r, AuthApiJsonContext.Default.AccessRequestInfo));
                return 0;
            }

            Console.WriteLine(r.State switch
            {
                AccessRequestStates.Approved => $"Access request {r.Id} of {r.User} approved: {What(r)} until {LoginCommands.Time(r.AccessExpires ?? r.Created)}.",
                AccessRequestStates.Denied => $"Access request {r.Id} of {r.User} denied.",
                _ => $"Review of access request {r.Id} of {r.User} recorded; it is {r.State} ({r.Reviews.Count} review(s) so far).",
            });
            return 0;
        });
        return command;
    }

    private static Command Drop()
    {
        var id = IdArgument();
        var reason = ReasonOption("Why (audited)");
        var command = new Command("drop", """
            End an approved grant early (its sessions end at once) or withdraw a pending request.

            Example:
              ferry request drop 0193… --reason "fixed"
            """)
        {
            id, reason,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            var requestId = AccessRequestLogin.CheckId(parse.GetValue(id)!);
            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var r = await api.DropAccessRequestAsync(requestId, new AccessRequestDrop { Reason = CheckReason(parse.GetValue(reason)) }, ct).ConfigureAwait(false);
            Console.WriteLine($"Access request {r.Id} dropped: sessions that rely on it are ended.");
            if (session.Identity.AccessRequestIds.Contains(r.Id, StringComparer.Ordinal))
            {
                Console.WriteLine($"Your login still names it and is refused from now on: run `{ClientSession.LoginCommand(session.Profile)}`.");
            }

            return 0;
        });
        return command;
    }
}

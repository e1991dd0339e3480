using Ferry.Contracts;

namespace Ferry.Auth.Notifications;

/// <summary>The JSON body of one webhook notification: <c>{"event","actor","time","request":{…}}</c>.</summary>
internal sealed class WebhookPayload
{
    /// <summary><c>access_request.create</c> or <c>access_request.review</c>.</summary>
    public string Event { get; set; } = "";

    /// <summary>Who caused it: the requester or the reviewer.</summary>
    public string Actor { get; set; } = "";

    public DateTimeOffset Time { get; set; }

    public AccessRequestInfo Request { get; set; } = new();
}

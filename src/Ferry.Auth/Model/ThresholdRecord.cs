namespace Ferry.Auth.Model;

/// <summary>One stored threshold of an access request.</summary>
internal sealed class ThresholdRecord
{
    public int Approve { get; set; }

    public int Deny { get; set; }
}

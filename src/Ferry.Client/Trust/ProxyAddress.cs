using System.Globalization;
using System.Net;

namespace Ferry.Client;

/// <summary>A <c>host[:port]</c> address (IPv6 in brackets); the port defaults to 3080.</summary>
public sealed record ProxyAddress(string Host, int Port)
{
    public const int DefaultPort = 3080;

    /// <summary>host:port, with brackets around an IPv6 literal.</summary>
    public override string ToString() =>
        (Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The HTTPS base address of the API on this address.</summary>
    public Uri ApiBase => new("https://" + ToString() + "/");

    public static ProxyAddress Parse(string text, int defaultPort = DefaultPort)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FerryClientException("the proxy address is empty: pass --proxy HOST:PORT, e.g. --proxy ferry.example.com:3080");
        }

        var t = text.Trim();
        if (t.Contains("://", StringComparison.Ordinal))
        {
            t = t[(t.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
        }

        string host;
        string? port = null;
        if (t.StartsWith('['))
        {
            var close = t.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FerryClientException($"proxy address \"{text}\": missing ']' after the IPv6 address");
            }

            host = t[1..close];
            if (close + 1 < t.Length)
            {
                port = t[(close + 1)..].TrimStart(':');
            }
        }
        else if (t.Count(c => c == ':') == 1)
        {
            host = t[..t.IndexOf(':', StringComparison.Ordinal)];
            port = t[(t.IndexOf(':', StringComparison.Ordinal) + 1)..];
        }
        else
        {
            host = t; // a bare host, or a bare IPv6 literal
        }

        var number = defaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number is < 1 or > 65535))
        {
            throw new FerryClientException($"proxy address \"{text}\": the port must be 1-65535");
        }

        if (host.Length == 0)
        {
            throw new FerryClientException($"proxy address \"{text}\" has no host");
        }

        return new ProxyAddress(host, number);
    }

    /// <summary>Whether <paramref name="names"/>/<paramref name="ips"/> (a certificate's SAN) cover this host.</summary>
    public bool MatchesNames(IEnumerable<string> names, IEnumerable<IPAddress> ips)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(ips);
        if (IPAddress.TryParse(Host, out var ip))
        {
            return ips.Any(a => a.Equals(ip));
        }

        return names.Any(n => DnsMatches(n, Host));
    }

    private static bool DnsMatches(string pattern, string host)
    {
        if (string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // "*.example.com" covers exactly one label.
        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            var dot = host.IndexOf('.', StringComparison.Ordinal);
            return dot > 0 && string.Equals(pattern[1..], host[dot..], StringComparison.OrdinalIgnoreCase);
        }

        return false;
    }
}

using Ferry.LoadGen;

return args.Length == 0 ? Usage() : args[0] switch
{
    "agents" => await SimulatedAgents.RunAsync(Arguments.Parse(args[1..])),
    "idle" => await IdleClients.RunAsync(Arguments.Parse(args[1..])),
    "tls-server" => await TlsBaseline.ServeAsync(Arguments.Parse(args[1..])),
    "tls-clients" => await TlsBaseline.ConnectAsync(Arguments.Parse(args[1..])),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          Ferry.LoadGen agents --proxy HOST:PORT[,HOST:PORT...] --cert cert.pem --key key.pem --host-ca host-ca.pem --count N [--heartbeat-seconds 5] [--ramp-ms 2]
              N simulated agents, each the agent's mesh over the given proxies: one real agent tunnel to every proxy (TLS, ALPN
              ferry-tunnel, MuxSession, heartbeats, backoff with jitter), serving no database. Prints every 100 ms
              "status <unix_ms> connected=<n> connects=<total> up0=<n> conn0=<total> [up1=... conn1=...] last_error=...".
          Ferry.LoadGen idle --protocol postgres|mysql --conn CONNECTION_STRING --count N [--parallel 8]
              Opens N client connections (no pooling), prints "opened <n> failed <f>", holds them until SIGTERM/SIGINT.
          Ferry.LoadGen tls-server [--port P]      a bare SslStream server (client cert required), prints "listening <port>"
          Ferry.LoadGen tls-clients --port P --count N   opens N TLS connections to it, one byte each way, holds them
              Together: the RSS an idle TLS connection costs a .NET server before any Ferry code (perf/results).
        """);
    return 2;
}

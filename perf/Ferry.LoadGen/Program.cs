using Ferry.LoadGen;

return args.Length == 0 ? Usage() : args[0] switch
{
    "agents" => await SimulatedAgents.RunAsync(Arguments.Parse(args[1..])),
    "idle" => await IdleClients.RunAsync(Arguments.Parse(args[1..])),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          Ferry.LoadGen agents --proxy HOST:PORT --cert cert.pem --key key.pem --host-ca host-ca.pem --count N [--heartbeat-seconds 5] [--ramp-ms 2]
              N simulated agents, each a real agent tunnel (TLS, ALPN ferry-tunnel, MuxSession, heartbeats, backoff with jitter)
              serving no database. Prints "status <unix_ms> connected=<n> connects=<total>" every 100 ms.
          Ferry.LoadGen idle --protocol postgres|mysql --conn CONNECTION_STRING --count N [--parallel 8]
              Opens N client connections (no pooling), prints "opened <n> failed <f>", holds them until SIGTERM/SIGINT.
        """);
    return 2;
}
